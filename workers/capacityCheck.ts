// The capacity check behind TRANSCODE_LADDER=auto: at worker start, run the live
// ladder command exactly as a stream would (same builder, preset and segment
// muxer) on a few seconds of 1080p30 H.264, richest ladder first, and keep the
// first that runs at TARGET_SPEED or faster. The result is cached on disk per
// host (it depends on the CPU, the core count, ffmpeg and the preset) and
// published in Redis for ingest, which picks a new session's ladder.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { FALLBACK_LADDER, PROFILE_MAX_AGE_MS, TARGET_SPEED, chooseLadder, ladderCandidates, ladderIsAuto, publishCapacity, type CapacityProfile } from "../lib/capacity.ts";
import { config } from "../lib/config.ts";
import { buildLiveLadder } from "../lib/ffmpeg/liveLadder.ts";
import { formatLadder } from "../lib/ladder.ts";
import { withLock } from "../lib/lock.ts";
import { logger } from "../lib/log.ts";
import { runFfmpeg } from "./ffmpegRunner.ts";

const log = logger("worker");
const CLIP_SECONDS = 4;

function fingerprint(): string {
  const cpu = os.cpus()[0]?.model ?? "cpu";
  let ffmpegVersion = "ffmpeg";
  try {
    ffmpegVersion = execFileSync(config.ffmpegPath, ["-version"], { encoding: "utf8" }).split("\n")[0];
  } catch {}
  return [cpu, os.availableParallelism(), ffmpegVersion, config.x264Preset].join(" | ");
}

function cacheFile(): string {
  return process.env.CAPACITY_CACHE || path.resolve(".livehouse", "capacity.json");
}

/** This host's cached measurement, whatever its fingerprint (benchmarks report which ladder it chose). */
export function cachedCapacityProfile(): CapacityProfile | null {
  try {
    return JSON.parse(readFileSync(cacheFile(), "utf8")) as CapacityProfile;
  } catch {
    return null;
  }
}

function readCache(fp: string): CapacityProfile | null {
  try {
    const p = JSON.parse(readFileSync(cacheFile(), "utf8")) as CapacityProfile;
    return p.fingerprint === fp && p.host === os.hostname() && Date.now() - p.measuredAt < PROFILE_MAX_AGE_MS ? p : null;
  } catch {
    return null;
  }
}

async function measure(fp: string): Promise<CapacityProfile> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lh-capacity-"));
  try {
    const clip = path.join(dir, "clip.flv");
    // The source: 1080p30 H.264 + AAC as an encoder would send it (cheap to make with ultrafast).
    await runFfmpeg({
      globalOptions: ["-hide_banner", "-loglevel", "error"],
      inputs: [
        { source: "testsrc2=size=1920x1080:rate=30", options: ["-f", "lavfi"] },
        { source: "sine=frequency=440:sample_rate=48000", options: ["-f", "lavfi"] },
      ],
      filterComplex: null,
      outputs: [{ target: clip, options: ["-t", String(CLIP_SECONDS), "-c:v", "libx264", "-preset", "ultrafast", "-g", "60", "-b:v", "6000k", "-pix_fmt", "yuv420p", "-c:a", "aac", "-ac", "2", "-f", "flv"] }],
    }, "making the capacity clip");
    const measured: { ladder: string; speed: number }[] = [];
    for (const [i, ladder] of ladderCandidates().entries()) {
      const out = path.join(dir, `c${i}`);
      const { spec } = buildLiveLadder({
        input: clip,
        inputFormat: "flv",
        source: { width: 1920, height: 1080, fps: 30, videoCodec: "avc1.640028", audioCodec: "mp4a.40.2", audioSampleRate: 48000, audioChannels: 2 },
        ladder,
        segmentSeconds: config.hlsSegmentSeconds,
        outputDir: (r) => {
          const d = path.join(out, r.name);
          mkdirSync(d, { recursive: true });
          return d;
        },
        segmentPrefix: "c-",
        x264Preset: config.x264Preset,
      });
      // Other work on the machine can only make a run slower, never faster: the best of two
      // runs is the closer estimate of what the machine can do.
      let speed = 0;
      for (let run = 0; run < 2 && speed < TARGET_SPEED; run++) {
        const started = performance.now();
        await runFfmpeg(spec, "measuring a ladder");
        speed = Math.max(speed, CLIP_SECONDS / ((performance.now() - started) / 1000));
      }
      measured.push({ ladder: formatLadder(ladder), speed: Math.round(speed * 100) / 100 });
      if (speed >= TARGET_SPEED) break;
    }
    return {
      host: os.hostname(),
      fingerprint: fp,
      cores: os.availableParallelism(),
      preset: config.x264Preset,
      measuredAt: Date.now(),
      candidates: measured,
      chosen: chooseLadder(measured),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Measures (or reuses this host's recent measurement) and publishes it. Never throws: a failed check keeps the fallback. */
export async function ensureCapacityProfile(): Promise<CapacityProfile | null> {
  if (!ladderIsAuto()) return null;
  try {
    const fp = fingerprint();
    const profile = await withLock(
      `capacity:${os.hostname()}`,
      async () => {
        const cached = readCache(fp);
        if (cached) return cached;
        log.info("measuring this machine's transcoding capacity (once per host; a few seconds)…");
        const fresh = await measure(fp);
        mkdirSync(path.dirname(cacheFile()), { recursive: true });
        writeFileSync(cacheFile(), JSON.stringify(fresh, null, 2));
        return fresh;
      },
      { ttlMs: 120_000, waitMs: 180_000 },
    );
    await publishCapacity(profile);
    log.info("default ladder chosen from this machine's capacity", {
      ladder: profile.chosen,
      measured: profile.candidates.map((c) => `${c.ladder.split("|")[0]}…: ${c.speed}×`).join(", "),
    });
    return profile;
  } catch (err) {
    log.warn("capacity check failed; the default ladder stays " + FALLBACK_LADDER, { error: String(err).slice(0, 200) });
    return null;
  }
}
