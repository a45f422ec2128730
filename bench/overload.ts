// npm run bench:overload — the overload policy end to end on this machine: a
// 1080p30 publisher for 150 s with the default configuration, and a burst of CPU
// load (one busy process per core) from 15 s to 60 s. Reports when the transcode
// fell behind, each step it took (down under the burst, back up once it had kept
// up with CPU to spare), the largest lag, and the media lost.
import { benchStack } from "./stack.ts";
import { cachedSource, cpuLoad, publishFile } from "../test/support/media.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 150);
const BURST = { from: 15, to: 60 };
const stack = await benchStack("benchol", { segmentSeconds: 2 });
const { db } = await import("../lib/db.ts");
const { readIngestStats } = await import("../lib/ingestStats.ts");
const { readTranscodeHealth } = await import("../lib/live/transcodeHealth.ts");
const { describeDefaultLadder } = await import("../lib/capacity.ts");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let load: { stop(): void } | null = null;
let burstDone = false;
// Busy processes at normal priority: ffmpeg's many threads take their share of the CPU, so it
// takes several per core before the transcode really runs short.
const BURNERS = Number(process.env.BENCH_BURNERS ?? 4 * (await import("node:os")).availableParallelism());
try {
  const source = await cachedSource({ width: 1920, height: 1080, fps: 30, seconds: SECONDS, audio: { sampleRate: 48000, channels: 2 } });
  const channel = await stack.channel("bench-ol", { graceMinutes: "0", ladder: process.env.BENCH_LADDER ?? "" });
  const key = channel.key;
  const def = await describeDefaultLadder();
  console.log(`# ladder: ${process.env.BENCH_LADDER || `${def.ladder} (default: ${def.how})`}; CPU burst ${BURST.from}–${BURST.to} s; TRANSCODE_STEP_UP_AFTER_SECONDS=${stack.env.TRANSCODE_STEP_UP_AFTER_SECONDS ?? 60}`);
  const t0 = Date.now();
  const at = () => ((Date.now() - t0) / 1000).toFixed(0).padStart(3);
  const pub = publishFile(source, `rtmp://127.0.0.1:${stack.env.RTMP_PORT}/live/${key}`);
  let sessionId = "";
  let maxLag = 0;
  let wasBehind = false;
  const seenChanges = new Set<number>();
  let closed = false;
  while (!closed && Date.now() - t0 < (SECONDS + 600) * 1000) {
    const elapsed = (Date.now() - t0) / 1000;
    if (!load && !burstDone && elapsed >= BURST.from) {
      load = cpuLoad(BURST.to - BURST.from, BURNERS);
      console.log(`${at()} s  CPU burst starts (${BURNERS} busy processes)`);
    }
    if (load && !burstDone && elapsed >= BURST.to) {
      load.stop();
      burstDone = true;
      console.log(`${at()} s  CPU burst ends`);
    }
    if (!sessionId) sessionId = (await db().liveSession.findFirst({ where: { channelId: channel.channelId } }))?.id ?? "";
    if (sessionId) {
      const h = await readTranscodeHealth(sessionId);
      if (h) {
        if (h.lagSeconds !== null) maxLag = Math.max(maxLag, h.lagSeconds);
        if (h.behind !== wasBehind) console.log(`${at()} s  ${h.behind ? `behind: ${h.speed?.toFixed(2)}× real time, ${h.lagSeconds?.toFixed(1)} s behind` : "caught up"}`);
        wasBehind = h.behind;
        for (const c of h.changes) {
          if (seenChanges.has(c.at)) continue;
          seenChanges.add(c.at);
          console.log(`${at()} s  step ${c.direction}: ${c.what} — ${c.why}`);
        }
      }
      closed = Boolean((await db().liveSession.findUnique({ where: { id: sessionId } }))?.playlistsClosedAt);
    }
    await sleep(500);
  }
  await pub.stop();
  const part = await db().livePart.findFirstOrThrow({ where: { sessionId } });
  const received = ((await readIngestStats(part.id))!.receivedMediaMs! - part.timelineOffsetMs) / 1000;
  const replay = await db().replay.findUnique({ where: { sessionId } });
  const listed = replay?.durationSeconds ?? 0;
  const downs = [...seenChanges].length;
  console.log(`largest lag: ${maxLag.toFixed(1)} s; steps: ${downs}; media received ${received.toFixed(2)} s, in the replay ${listed.toFixed(2)} s`);
  console.log(`overload media lost seconds: ${Math.max(0, received - listed).toFixed(2)}`);
} finally {
  load?.stop();
  await stack.shutdown();
}
process.exit(0);
