// Exactly one ffmpeg per stream, even when workers or ffmpeg die.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { db } from "../../lib/db.ts";
import { QUEUE, closeQueues, queue, transcodeJobId } from "../../lib/queue.ts";
import { closeConnectionsAfter } from "../support/env.ts";
import { ffmpegProcesses, getText, liveChannel, parseMedia, publish, waitFor, waitForLive } from "../support/live.ts";

closeConnectionsAfter();
after(() => closeQueues());

/** Samples the ffmpeg processes of a part every 50 ms; records the most seen at once. */
function watchFfmpeg(partId: string) {
  let max = 0;
  const pids = new Set<number>();
  const timer = setInterval(() => {
    const now = ffmpegProcesses(partId);
    max = Math.max(max, now.length);
    for (const p of now) pids.add(p.pid);
  }, 50);
  return { stop: () => clearInterval(timer), get max() { return max; }, pids };
}

/** The one ffmpeg transcoding a part, once it runs. */
async function theFfmpegOf(partId: string) {
  return waitFor("the ffmpeg of the part", async () => {
    const p = ffmpegProcesses(partId);
    return p.length === 1 ? p[0] : null;
  });
}

async function segmentsOf(url: string) {
  return parseMedia(await getText(url));
}

describe("transcode takeover", () => {
  it("SIGKILL of the worker running a live stream: another worker takes over within seconds, never two ffmpeg at once", async () => {
    const ch = await liveChannel();
    const pub = publish(ch.key);
    try {
      const live = await waitForLive(ch.slug);
      const part = await db().livePart.findFirstOrThrow({ where: { sessionId: live.sessionId } });
      const playlist = live.hlsUrl.replace("master.m3u8", "480p30/index.m3u8");
      const first = await theFfmpegOf(part.id);
      const watch = watchFfmpeg(part.id);
      const epochBefore = (await db().livePart.findUniqueOrThrow({ where: { id: part.id } })).transcodeEpoch;
      const killedAt = Date.now();
      process.kill(first.ppid, "SIGKILL"); // the worker process that runs it

      const next = await waitFor("a new ffmpeg under another worker", async () => {
        const p = ffmpegProcesses(part.id).filter((x) => x.pid !== first.pid);
        return p.length === 1 ? p[0] : null;
      }, 60_000, 50);
      const tookOverMs = Date.now() - killedAt;
      assert.notEqual(next.ppid, first.ppid);

      // The stream continues after a discontinuity exactly where the listing stopped (the spool
      // kept what arrived meanwhile), and media sequence numbers keep counting.
      const newer = (uri: string) => {
        const m = /^p0e(\d+)-/.exec(uri);
        return m !== null && Number(m[1]) > epochBefore;
      };
      const after = await waitFor("new segments after the takeover", async () => {
        const pl = await segmentsOf(playlist);
        const idx = pl.entries.findIndex((e) => newer(e.uri));
        return idx > 0 && pl.entries.length - idx >= 3 ? { pl, idx } : null;
      }, 60_000);
      const resumed = after.pl.entries[after.idx];
      const before = after.pl.entries[after.idx - 1];
      assert.equal(resumed.discontinuity, true);
      assert.ok(Math.abs(resumed.pdt! - (before.pdt! + before.duration * 1000)) < 60, `resumed at ${resumed.pdt}, listing had stopped at ${before.pdt! + before.duration * 1000}`);
      watch.stop();
      assert.equal(watch.max, 1, "two ffmpeg processes ran at the same time");
      process.stdout.write(`# takeover after SIGKILL: ${tookOverMs} ms\n`);
    } finally {
      await pub.stop();
    }
  });

  it("ffmpeg dying fails the job visibly; the retry resumes the stream", async () => {
    const ch = await liveChannel();
    const pub = publish(ch.key);
    try {
      const live = await waitForLive(ch.slug);
      const part = await db().livePart.findFirstOrThrow({ where: { sessionId: live.sessionId } });
      const first = await theFfmpegOf(part.id);
      const epochOfKilled = (await db().livePart.findUniqueOrThrow({ where: { id: part.id } })).transcodeEpoch;
      process.kill(first.pid, "SIGKILL");
      const job = await waitFor("the failed attempt to be recorded", async () => {
        const j = await queue(QUEUE.transcode).getJob(transcodeJobId(part.id));
        return j && j.attemptsMade >= 1 && j.failedReason ? j : null;
      }, 60_000);
      assert.match(job.failedReason, /ffmpeg exited \(signal SIGKILL\)/);
      const playlist = live.hlsUrl.replace("master.m3u8", "360p30/index.m3u8");
      await waitFor("segments from the retry", async () => (await segmentsOf(playlist)).entries.some((e) => Number(/^p0e(\d+)-/.exec(e.uri)?.[1] ?? 0) > epochOfKilled), 60_000);
    } finally {
      await pub.stop();
    }
  });
});
