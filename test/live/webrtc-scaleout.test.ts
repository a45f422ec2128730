// Several edges: a second edge started while a stream runs gets that stream from the
// workers' relays without the transcode restarting; the web app hands new viewers to
// the edge with the most room, so both serve; an edge that stops leaves the registry
// and new viewers go to the one left.
import assert from "node:assert/strict";
import path from "node:path";
import { after, describe, it } from "node:test";
import { db } from "../../lib/db.ts";
import { readTranscodeHealth } from "../../lib/live/transcodeHealth.ts";
import { liveEdges } from "../../lib/webrtc/edges.ts";
import { EDGE, startRole, type SupervisedRole } from "../../scripts/roles.ts";
import { freePort, freeUdpPort } from "../../scripts/ports.ts";
import { BASE_URL, closeConnectionsAfter } from "../support/env.ts";
import { ffmpegProcesses, liveChannel, publish, waitFor, waitForLive } from "../support/live.ts";
import { startReceiver } from "../support/webrtcReceiver.ts";
import { tearDownWebRTC } from "../support/webrtcTeardown.ts";

closeConnectionsAfter();

const WS_BASE = BASE_URL.replace(/^http/, "ws");
const SECOND = "edge-2";

async function startSecondEdge(): Promise<SupervisedRole> {
  const signalingPort = await freePort();
  return startRole(EDGE, {
    env: {
      ...process.env,
      EDGE_ID: SECOND,
      EDGE_SIGNALING_PORT: String(signalingPort),
      EDGE_INTERNAL_URL: `http://127.0.0.1:${signalingPort}`,
      EDGE_RTP_PORT: String(await freeUdpPort()),
      WEBRTC_UDP_PORT: String(await freeUdpPort()),
    },
    label: SECOND,
    logFile: path.join(process.env.LH_TEST_LOG_DIR!, `${SECOND}.log`),
  });
}

describe("several edges", () => {
  const receivers: { close(): void }[] = [];
  let second: SupervisedRole | null = null;
  after(() => {
    for (const r of receivers) r.close();
    second?.stop();
    tearDownWebRTC();
  });
  const receiver = (name: string) => {
    const r = startReceiver(`${WS_BASE}/ws/${slug}`, name);
    receivers.push(r);
    return r;
  };
  const receiving = (r: ReturnType<typeof receiver>, what: string, more = 50) => {
    const from = r.stats.video.packets;
    return waitFor(what, async () => r.stats.video.packets > from + more && r.stats.audio.packets > 10, 45_000);
  };
  let slug = "";

  it("an edge started mid-stream serves it without a new transcode; viewers spread over both; a stopped edge leaves", async () => {
    const ch = await liveChannel({ graceMinutes: "0" });
    slug = ch.slug;
    const pub = publish(ch.key);
    try {
      const live = await waitForLive(ch.slug, 60_000);
      const part = await db().livePart.findFirstOrThrow({ where: { sessionId: live.sessionId } });
      const first = receiver("on-the-first-edge");
      await receiving(first, "the first viewer receiving");
      const [transcode] = ffmpegProcesses(part.id);
      assert.ok(transcode, "the live ffmpeg runs");
      const [onlyEdge] = await liveEdges();
      // On a busy machine the overload policy may restart the transcode with a lighter ladder; only such a step may.
      const overloadSteps = async () => (await readTranscodeHealth(live.sessionId))?.changes.length ?? 0;
      const stepsBefore = await overloadSteps();
      assert.equal((await liveEdges()).length, 1);

      second = await startSecondEdge();
      await waitFor("the second edge announced", async () => (await liveEdges()).some((e) => e.id === SECOND), 30_000);
      const more = [receiver("second"), receiver("third")];
      for (const r of more) await receiving(r, "the new viewers receiving");
      await waitFor(
        "both edges serving viewers",
        async () => {
          const edges = await liveEdges();
          const count = (id: string) => edges.find((e) => e.id === id)?.viewers ?? 0;
          return count(SECOND) >= 1 && count(onlyEdge.id) >= 1 && count(SECOND) + count(onlyEdge.id) === 3;
        },
        15_000,
      );
      const pids = ffmpegProcesses(part.id).map((p) => p.pid);
      assert.equal(pids.length, 1, "one transcode");
      if (pids[0] !== transcode.pid) {
        await waitFor("an overload step to explain the new ffmpeg (the new edge must not restart the transcode)", async () => (await overloadSteps()) > stepsBefore, 10_000);
      }

      second.stop();
      await waitFor("the second edge gone from the registry", async () => (await liveEdges()).every((e) => e.id !== SECOND), 15_000);
      const later = receiver("after-the-second-edge-left");
      await receiving(later, "a new viewer receiving from the edge left");
      await receiving(first, "the first viewer still receiving");
      for (const r of [first, later]) assert.deepEqual(r.stats.errors, []);
    } finally {
      await pub.stop();
    }
  });
});
