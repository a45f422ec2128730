// GET /metrics: refused without the token; with it, Prometheus text with the
// platform's gauges and counters, which follow a real publish.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BASE_URL, closeConnectionsAfter } from "../support/env.ts";
import { liveChannel, publish, waitFor, waitForLive } from "../support/live.ts";

closeConnectionsAfter();

const TOKEN = process.env.METRICS_TOKEN!;

async function scrape(): Promise<string> {
  const res = await fetch(`${BASE_URL}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  return res.text();
}

function value(text: string, series: string): number | null {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : null;
}

describe("metrics", () => {
  it("answers 401 without the token or with a wrong one, and says how to send it", async () => {
    assert.ok(TOKEN, "the test stack sets METRICS_TOKEN");
    const none = await fetch(`${BASE_URL}/metrics`);
    assert.equal(none.status, 401);
    assert.match(await none.text(), /bearer token/);
    const wrong = await fetch(`${BASE_URL}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}x` } });
    assert.equal(wrong.status, 401);
    assert.doesNotMatch(await wrong.text(), new RegExp(TOKEN));
  });

  it("shows queues, live sessions, viewers, transcode speed and ingest counters, following a publish", async () => {
    const before = await scrape();
    assert.match(before, /^# TYPE livehouse_queue_jobs gauge$/m);
    for (const q of ["live-transcode", "replay-export", "chat"]) assert.notEqual(value(before, `livehouse_queue_jobs{queue="${q}",state="failed"}`), null, `queue ${q} listed`);
    const publishes = value(before, "livehouse_ingest_publishes_total") ?? -1;
    assert.ok(publishes >= 0, "the publish counter is shown, at zero if nothing was published yet");

    const ch = await liveChannel();
    const pub = publish(ch.key);
    try {
      await waitForLive(ch.slug, 60_000);
      const during = await waitFor(
        "the session's transcode speed in the metrics",
        async () => {
          const t = await scrape();
          return value(t, `livehouse_transcode_speed{channel="${ch.slug}"}`) !== null ? t : null;
        },
        60_000,
        1000,
      );
      assert.ok((value(during, 'livehouse_live_sessions{state="live"}') ?? 0) >= 1, "a live session counted");
      assert.ok((value(during, "livehouse_ingest_publishes_total") ?? 0) > publishes, "the publish counted");
      assert.notEqual(value(during, `livehouse_viewers{channel="${ch.slug}"}`), null, "the channel's viewers shown");
    } finally {
      await pub.stop();
    }
  });
});
