// npm run bench:realtime — the default configuration with the whole stack on this
// machine (web, ingest, one worker, appservice, Synapse) and a 1080p30 publisher
// for 60 s: does the transcode keep up, and is any media lost?
//
// The publisher sends a pre-encoded 1080p30 file in real time (stream copy), as
// OBS on the creator's own computer would: the machine's cores are the server's.
//   speed  = media seconds listed ÷ wall seconds from the first segment listed to
//            the last (plus the first segment's length). A transcode that keeps up
//            finishes with the publisher: 1.00. One that falls behind by 15 s
//            over 60 s: 0.80.
//   lost   = media ingest received − media listed in the top rendition.
import { benchStack } from "./stack.ts";
import { cachedSource, publishFile } from "../test/support/media.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const stack = await benchStack("benchrt", { segmentSeconds: 2 });
const { db } = await import("../lib/db.ts");
const { readIngestStats } = await import("../lib/ingestStats.ts");
const { readTranscodeHealth } = await import("../lib/live/transcodeHealth.ts");
const { describeDefaultLadder } = await import("../lib/capacity.ts");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
try {
  const source = await cachedSource({ width: 1920, height: 1080, fps: 30, seconds: SECONDS, audio: { sampleRate: 48000, channels: 2 } });
  const channel = await stack.channel("bench-rt", { graceMinutes: "0" });
  const key = channel.key;
  const def = await describeDefaultLadder();
  console.log(`# default ladder: ${def.ladder} (${def.how}); x264 ${stack.env.X264_PRESET ?? "veryfast"}; TRANSCODE_OVERLOAD=${stack.env.TRANSCODE_OVERLOAD ?? "degrade"}`);
  console.log(`# publisher: ${SECONDS} s of 1080p30 H.264 + AAC sent in real time (stream copy)`);

  const pub = publishFile(source, `rtmp://127.0.0.1:${stack.env.RTMP_PORT}/live/${key}`);
  // Watch the top rendition's playlist like a player would, noting when each segment appears.
  const seen = new Map<string, { at: number; duration: number }>();
  let ended = false;
  let sessionId = "";
  let maxLag = 0;
  let minSpeed = Infinity;
  const steps = new Set<string>();
  const deadline = Date.now() + (SECONDS + 600) * 1000;
  let topUrl: URL | null = null;
  while (!ended && Date.now() < deadline) {
    if (!topUrl) {
      const status = await (await fetch(`${stack.baseUrl}/api/live/bench-rt`)).json();
      if (status.sessionId) sessionId = status.sessionId;
      if (status.hlsUrl) {
        const masterUrl = stack.baseUrl + status.hlsUrl;
        topUrl = new URL((await (await fetch(masterUrl)).text()).split("\n").find((l) => l && !l.startsWith("#"))!, masterUrl);
      }
    }
    if (topUrl) {
      const media = await (await fetch(topUrl)).text();
      const lines = media.split("\n");
      for (let i = 0; i < lines.length; i++) {
        if (lines[i].startsWith("#EXTINF:") && !seen.has(lines[i + 1])) seen.set(lines[i + 1], { at: Date.now(), duration: Number(lines[i].slice(8).split(",")[0]) });
      }
      // Once ended, the playlist lists every segment (a live one shows only its window).
      ended = media.includes("#EXT-X-ENDLIST");
    }
    if (sessionId) {
      const h = await readTranscodeHealth(sessionId);
      if (h?.lagSeconds != null) maxLag = Math.max(maxLag, h.lagSeconds);
      if (h?.speed != null && !h.draining) minSpeed = Math.min(minSpeed, h.speed);
      for (const c of h?.changes ?? []) steps.add(`${c.what} (${c.why})`);
    }
    await sleep(100);
  }
  await pub.stop();
  if (!ended) throw new Error("the stream never ended");

  const part = await db().livePart.findFirstOrThrow({ where: { sessionId } });
  const stats = await readIngestStats(part.id);
  const received = (stats!.receivedMediaMs! - part.timelineOffsetMs) / 1000;
  const segments = [...seen.values()];
  const listed = segments.reduce((s, x) => s + x.duration, 0);
  const wall = (segments[segments.length - 1].at - segments[0].at) / 1000 + segments[0].duration;
  const speed = listed / wall;
  console.log(`media ingest received: ${received.toFixed(2)} s; listed in the live playlist: ${listed.toFixed(2)} s; lost: ${Math.max(0, received - listed).toFixed(2)} s`);
  console.log(`largest lag behind ingest: ${maxLag.toFixed(1)} s; lowest 10-s speed while live: ${Number.isFinite(minSpeed) ? minSpeed.toFixed(2) : "—"}×`);
  console.log(`overload steps: ${steps.size ? [...steps].join("; ") : "none"}`);
  console.log(`media lost seconds: ${Math.max(0, received - listed).toFixed(2)}`);
  console.log(`realtime speed with default ladder: ${speed.toFixed(2)}`);
} finally {
  await stack.shutdown();
}
process.exit(0);
