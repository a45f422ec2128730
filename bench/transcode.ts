// npm run bench:transcode — CPU cost of Livehouse's live ladder command against a
// naive baseline of one ffmpeg per rung, on the same 1080p30 source, in the same run,
// for the default ladder (what TRANSCODE_LADDER=auto chose on this machine, or BENCH_LADDER).
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildLiveLadder } from "../lib/ffmpeg/liveLadder.ts";
import { specToArgs } from "../lib/ffmpeg/spec.ts";
import { parseLadder } from "../lib/ladder.ts";
import { runMeasured } from "./cpu.ts";
import { FALLBACK_LADDER } from "../lib/capacity.ts";
import { cachedCapacityProfile } from "../workers/capacityCheck.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const measured = cachedCapacityProfile();
const LADDER = process.env.BENCH_LADDER || measured?.chosen || FALLBACK_LADDER;
const LADDER_SOURCE = process.env.BENCH_LADDER ? "BENCH_LADDER" : measured ? "the default measured on this machine" : "the default before any measurement";
const dir = mkdtempSync(path.join(os.tmpdir(), "lh-bench-transcode-"));
const src = path.join(dir, "source-1080p30.flv");

try {
  console.log(`# source: ${SECONDS} s of 1080p30 H.264 + AAC (testsrc2), ladder ${LADDER} (${LADDER_SOURCE}), x264 veryfast`);
  await runMeasured("ffmpeg", [
    "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30", "-f", "lavfi", "-i", "sine=frequency=440",
    "-t", String(SECONDS), "-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-b:v", "6000k", "-pix_fmt", "yuv420p",
    "-c:a", "aac", "-b:a", "128k", src,
  ]);

  // Livehouse: the exact command the worker runs, pointed at the file instead of ingest.
  const ladder = parseLadder(LADDER);
  const { spec } = buildLiveLadder({
    input: src,
    source: { width: 1920, height: 1080, fps: 30, videoCodec: "avc1.640028", audioCodec: "mp4a.40.2", audioSampleRate: 48000, audioChannels: 2 },
    ladder,
    segmentSeconds: 2,
    outputDir: (r) => {
      const d = path.join(dir, "ours", r.name);
      mkdirSync(d, { recursive: true });
      return d;
    },
    segmentPrefix: "b-",
  });
  const ours = await runMeasured("ffmpeg", ["-y", "-loglevel", "error", ...specToArgs(spec)]);

  // Naive: what a first implementation does — one ffmpeg per rung, each decoding the
  // source, scaling from full size, encoding with x264's default tuning, re-encoding audio.
  let naiveCpu = 0;
  let naiveWall = 0;
  for (const r of ladder.rungs) {
    const out = path.join(dir, "naive", r.name);
    mkdirSync(out, { recursive: true });
    const res = await runMeasured("ffmpeg", [
      "-y", "-loglevel", "error", "-i", src, "-vf", `scale=-2:${r.height}`,
      "-c:v", "libx264", "-preset", "veryfast", "-b:v", `${r.videoKbps}k`, "-g", "60", "-keyint_min", "60", "-sc_threshold", "0",
      "-c:a", "aac", "-b:a", "128k", "-f", "hls", "-hls_time", "2", "-hls_list_size", "0", path.join(out, "index.m3u8"),
    ]);
    naiveCpu += res.cpu;
    naiveWall += res.wall;
  }

  const perMedia = (cpu: number) => (cpu / SECONDS).toFixed(3);
  const speed = (wall: number) => (SECONDS / wall).toFixed(2);
  console.log(`livehouse (1 ffmpeg: one decode, cascade, frame threads, audio copy): ${perMedia(ours.cpu)} CPU-s per media-s (${ours.cpu.toFixed(1)} CPU-s, ${ours.wall.toFixed(1)} s wall, ${speed(ours.wall)}× real time alone)`);
  console.log(`naive (1 ffmpeg per rung):                                            ${perMedia(naiveCpu)} CPU-s per media-s (${naiveCpu.toFixed(1)} CPU-s, ${naiveWall.toFixed(1)} s wall run one after another)`);
  console.log(`transcode cpu ratio vs naive: ${(ours.cpu / naiveCpu).toFixed(3)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
