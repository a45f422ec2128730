// Source files for publishers that cost the test machine nothing while they
// publish: encoded once per machine (cached like the Synapse root), then sent
// in real time with a stream copy — as OBS on the creator's own computer would.
// The machine's cores then belong to the server, which is what we measure.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, renameSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

function cacheDir(): string {
  const preferred = process.env.LH_TEST_MEDIA_CACHE || "/var/cache/livehouse/test-media";
  try {
    mkdirSync(preferred, { recursive: true });
    return preferred;
  } catch {
    const fallback = path.join(os.tmpdir(), "livehouse-test-media");
    mkdirSync(fallback, { recursive: true });
    return fallback;
  }
}

export interface SourceSpec {
  width: number;
  height: number;
  fps: number;
  seconds: number;
  /** null: no audio track. */
  audio: { sampleRate: number; channels: number } | null;
  /** Video codec: libx264 (default) or an FLV codec we refuse (flv1 = Sorenson H.263). */
  videoCodec?: "libx264" | "flv1";
  /** No video track at all. */
  noVideo?: boolean;
  /** Encoder keyframe interval in seconds (OBS's recommended 2 s by default). */
  keyframeSeconds?: number;
  /** Variable frame rate: drop frames irregularly, as phones do. */
  vfr?: boolean;
}

const sourcesMade = new Map<string, Promise<string>>();

/** The FLV for a spec, made once per machine. */
export function cachedSource(spec: SourceSpec): Promise<string> {
  const a = spec.audio;
  const name =
    `src-v2-${spec.noVideo ? "novideo" : `${spec.width}x${spec.height}p${spec.fps}-${spec.videoCodec ?? "h264"}${spec.vfr ? "-vfr" : ""}-k${spec.keyframeSeconds ?? 2}`}` +
    `-${a ? `${a.sampleRate}hz${a.channels}ch` : "silent"}-${spec.seconds}s.flv`;
  let made = sourcesMade.get(name);
  if (!made) {
    made = make(spec, path.join(cacheDir(), name));
    sourcesMade.set(name, made);
  }
  return made;
}

async function make(spec: SourceSpec, file: string): Promise<string> {
  if (existsSync(file)) return file;
  const tmp = `${file}.${process.pid}.tmp.flv`;
  const video = spec.noVideo
    ? []
    : [
        "-f", "lavfi", "-i", `testsrc2=size=${spec.width}x${spec.height}:rate=${spec.fps}`,
      ];
  const audio = spec.audio ? ["-f", "lavfi", "-i", `sine=frequency=440:sample_rate=${spec.audio.sampleRate}`] : [];
  const gop = Math.round(spec.fps * (spec.keyframeSeconds ?? 2));
  const vcodec = spec.noVideo
    ? []
    : spec.videoCodec === "flv1"
      ? ["-c:v", "flv1", "-q:v", "5", "-g", String(gop)]
      : [
          "-c:v", "libx264", "-preset", "ultrafast", "-g", String(gop), "-pix_fmt", "yuv420p",
          "-b:v", `${Math.round((spec.width * spec.height * spec.fps) / 12_000)}k`,
          ...(spec.vfr ? ["-vf", "select='not(eq(mod(n\\,7)\\,3))*not(eq(mod(n\\,11)\\,5))'", "-fps_mode", "vfr"] : []),
        ];
  const acodec = spec.audio ? ["-c:a", "aac", "-b:a", "96k", "-ac", String(spec.audio.channels), "-ar", String(spec.audio.sampleRate)] : [];
  await run("ffmpeg", ["-v", "error", "-y", ...video, ...audio, "-t", String(spec.seconds), ...vcodec, ...acodec, "-f", "flv", tmp], { maxBuffer: 1 << 20 });
  renameSync(tmp, file);
  return file;
}

export interface PublisherProcess {
  proc: ChildProcess;
  /** Wall clock just before ffmpeg started sending. */
  startedAt: number;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();

/** Kills every publisher a test file started and did not stop (a failed test must not load the next ones). */
export function killPublishers(): void {
  for (const p of running) if (p.exitCode === null) p.kill("SIGKILL");
  running.clear();
}

/** An ffmpeg publisher: stopped like an encoder's Stop button (SIGINT), killed if it does not stop. */
export function startPublisher(args: string[]): PublisherProcess {
  const startedAt = Date.now();
  const proc = spawn("ffmpeg", args, { stdio: ["ignore", "ignore", "pipe"] });
  running.add(proc);
  proc.on("exit", () => running.delete(proc));
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  return {
    proc,
    startedAt,
    exited,
    async stop() {
      if (proc.exitCode === null) proc.kill("SIGINT");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (proc.exitCode === null) proc.kill("SIGKILL");
    },
  };
}

/** Publishes a file in real time without re-encoding (an encoder on another machine). */
export function publishFile(file: string, rtmpUrl: string, opts: { seconds?: number } = {}): PublisherProcess {
  return startPublisher(["-hide_banner", "-loglevel", "error", "-re", "-i", file, ...(opts.seconds ? ["-t", String(opts.seconds)] : []), "-c", "copy", "-f", "flv", rtmpUrl]);
}

/** A bounded CPU load: one busy process per core until stopped (or `seconds` pass). */
export function cpuLoad(seconds: number, processes = os.availableParallelism()): { stop(): void } {
  const children = Array.from({ length: processes }, () =>
    spawn(process.execPath, ["-e", `const end = Date.now() + ${seconds * 1000}; while (Date.now() < end) {}`], { stdio: "ignore" }),
  );
  return {
    stop() {
      for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    },
  };
}
