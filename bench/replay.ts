// npm run bench:replay — how long after a session ends its replay is playable,
// for a short and a 10× longer session (it must not grow with length), and how
// fast the MP4 export runs (media seconds per wall second).
//
// Sessions are laid down directly in the media store from real ffmpeg segments
// (publishing ten minutes live would only measure the clock), then ended through
// the live-session state machine like any other: the worker's finalize job
// builds the replay and queues the export.
import { copyFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { encodeSampleSegments } from "./sampleSegments.ts";
import { benchStack } from "./stack.ts";

const SHORT = 60;
const SEG = 2;
const stack = await benchStack("benchreplay");
const { signUp } = await import("../lib/accounts.ts");
const { createChannel } = await import("../lib/channels.ts");
const { db } = await import("../lib/db.ts");
const { endSession } = await import("../lib/liveSessions.ts");
const { planRenditions } = await import("../lib/ffmpeg/liveLadder.ts");
const { parseLadder } = await import("../lib/ladder.ts");
const { renderMasterPlaylist } = await import("../lib/hls/playlist.ts");
const { QUEUE, queue } = await import("../lib/queue.ts");

const media = stack.env.MEDIA_DIR!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// One minute of real 720p30 segments (2 s each), made once and reused for every part.
const sampleSegments = encodeSampleSegments({ dir: path.join(media, "bench-sample"), width: 1280, height: 720, videoKbps: 2500, seconds: SHORT, segmentSeconds: SEG });

const user = await signUp({ email: "bench-replay@livehouse.local", password: "benchmark-password", displayName: "Bench" }, "bench");
const channel = await createChannel(user.id, { slug: "bench-replay", title: "Bench", reconnectGraceMinutes: "0" });
const rendition = planRenditions({ width: 1280, height: 720, fps: 30, videoCodec: null, audioCodec: "mp4a.40.2" }, parseLadder("720p30@2500k"))[0];

/** A session of `minutes` one-minute parts, as the live pipeline would have left it. */
async function layDownSession(minutes: number) {
  const session = await db().liveSession.create({ data: { channelId: channel.id, status: "live", ladder: "720p30@2500k", segmentSeconds: SEG } });
  const dir = path.join(media, "live", session.id, rendition.name);
  mkdirSync(dir, { recursive: true });
  const segments = [];
  const t0 = Date.now() - minutes * 70_000;
  for (let p = 0; p < minutes; p++) {
    const startedAt = new Date(t0 + p * 70_000);
    // Laid down whole: as if its transcode had listed every segment.
    const endedAt = new Date(startedAt.getTime() + SHORT * 1000);
    await db().livePart.create({ data: { sessionId: session.id, index: p, startedAt, endedAt, transcodeDoneAt: endedAt } });
    for (const [i, s] of sampleSegments.entries()) {
      const uri = `p${p}e1-${String(i).padStart(6, "0")}.ts`;
      copyFileSync(s.file, path.join(dir, uri));
      segments.push({ uri, duration: s.end - s.start, part: p, programDateTime: startedAt.getTime() + s.start * 1000, discontinuity: p > 0 && i === 0 ? true : undefined });
    }
  }
  const pl = { version: 1, targetDuration: SEG, firstSequence: 0, segments, ended: false };
  const { writeFileSync } = await import("node:fs");
  writeFileSync(path.join(dir, "index.json"), JSON.stringify(pl));
  writeFileSync(path.join(media, "live", session.id, "master.json"), JSON.stringify({ renditions: [rendition] }));
  writeFileSync(path.join(media, "live", session.id, "master.m3u8"), renderMasterPlaylist([rendition], (r) => `${r.name}/index.m3u8`));
  return session.id;
}

async function endToPlayable(sessionId: string): Promise<{ seconds: number; replayId: string }> {
  const t0 = performance.now();
  await endSession(sessionId, "bench");
  for (;;) {
    const replay = await db().replay.findUnique({ where: { sessionId } });
    if (replay) {
      const vod = await fetch(`${stack.baseUrl}/hls/live/${sessionId}/vod.m3u8`);
      if (vod.ok) return { seconds: (performance.now() - t0) / 1000, replayId: replay.id };
    }
    await sleep(10);
  }
}

async function exportResult(replayId: string) {
  for (;;) {
    const job = await queue(QUEUE.export).getJob(`export-${replayId}`);
    if (job?.finishedOn && job.returnvalue) return JSON.parse(job.returnvalue as string) as { mediaSeconds: number; mp4Seconds: number; bytes: number };
    if (job?.failedReason && job.attemptsMade >= 5) throw new Error(job.failedReason);
    await sleep(100);
  }
}

try {
  await endToPlayable(await layDownSession(1)); // warm-up: first job of the run, not reported
  const short = await endToPlayable(await layDownSession(1));
  const long = await endToPlayable(await layDownSession(10));
  const exportShort = await exportResult(short.replayId);
  const exportLong = await exportResult(long.replayId);
  console.log(`end → playable replay, ${SHORT} s session:   ${short.seconds.toFixed(3)} s`);
  console.log(`end → playable replay, ${SHORT * 10} s session:  ${long.seconds.toFixed(3)} s (${(long.seconds / short.seconds).toFixed(2)}× the short one for 10× the media)`);
  console.log(`mp4 export, ${SHORT} s:  ${exportShort.mp4Seconds.toFixed(2)} s (${(exportShort.mediaSeconds / exportShort.mp4Seconds).toFixed(0)}× realtime)`);
  console.log(`mp4 export, ${SHORT * 10} s: ${exportLong.mp4Seconds.toFixed(2)} s, ${(exportLong.bytes / 1e6).toFixed(0)} MB`);
  console.log(`mp4 export x realtime: ${(exportLong.mediaSeconds / exportLong.mp4Seconds).toFixed(0)}`);
} finally {
  await stack.shutdown();
}
process.exit(0);
