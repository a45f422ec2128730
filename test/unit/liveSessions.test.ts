import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { transition, type LiveEvent, type LiveStatus } from "../../lib/liveSessions.ts";
import { PublisherStats } from "../../ingest/stats.ts";

describe("live-session state machine", () => {
  const cases: [LiveStatus | null, LiveEvent, string | null][] = [
    [null, { type: "publisherConnected" }, "live+session+part"],
    ["ended", { type: "publisherConnected" }, "live+session+part"],
    ["live", { type: "publisherConnected" }, "live+part"],
    ["reconnecting", { type: "publisherConnected" }, "live+part"],
    ["live", { type: "publisherDropped", graceSeconds: 300 }, "reconnecting+expiry300"],
    ["live", { type: "publisherDropped", graceSeconds: 0 }, "ended+finalize"],
    ["reconnecting", { type: "publisherDropped", graceSeconds: 300 }, null],
    ["ended", { type: "publisherDropped", graceSeconds: 300 }, null],
    ["reconnecting", { type: "graceExpired" }, "ended+finalize"],
    ["live", { type: "graceExpired" }, null],
    ["ended", { type: "graceExpired" }, null],
    ["live", { type: "endRequested" }, "ended+finalize+disconnect"],
    ["reconnecting", { type: "endRequested" }, "ended+finalize+disconnect"],
    ["ended", { type: "endRequested" }, null],
  ];
  for (const [from, event, expected] of cases) {
    it(`${from ?? "no session"} + ${event.type} → ${expected ?? "ignored"}`, () => {
      const t = transition(from, event);
      if (expected === null) return assert.equal(t, null);
      const got = [
        t!.status,
        t!.newSession && "session",
        t!.newPart && "part",
        t!.scheduleExpiry && `expiry${t!.scheduleExpiry}`,
        t!.finalize && "finalize",
        t!.disconnectPublisher && "disconnect",
      ].filter(Boolean).join("+");
      assert.equal(got, expected);
    });
  }
});

describe("ingest stream health", () => {
  it("measures frame rate, bitrate and keyframe interval from packets", () => {
    const stats = new PublisherStats();
    for (let i = 0; i <= 300; i++) {
      stats.onPacket({ codec_type: 9, codec_id: 7, flags: i % 120 === 0 ? 3 : 4, dts: Math.round((i * 1000) / 30), pts: 0, size: 0, data: Buffer.alloc(0) });
    }
    stats.snapshot(0, 0);
    const s = stats.snapshot(2_500_000, 10_000);
    assert.equal(s.fps, 30);
    assert.equal(s.keyframeIntervalSeconds, 4);
    assert.equal(s.bitrateKbps, 2000);
  });
});
