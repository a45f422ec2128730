// The one way Livehouse runs ffmpeg and ffprobe (live transcodes, slates, replay
// exports, probes): spawn through fluent-ffmpeg from a command built in
// lib/ffmpeg (pure, unit-tested), report progress from ffmpeg's stats lines,
// keep the tail of stderr for error messages, kill on demand.
import ffmpeg from "fluent-ffmpeg";
import { config } from "../lib/config.ts";
import type { FfmpegSpec } from "../lib/ffmpeg/spec.ts";

export interface FfmpegProgress {
  /** Media seconds written so far by this process (from ffmpeg's `time=`). */
  mediaSeconds: number;
  /** ffmpeg's own average speed since it started (×real time), when it reports one. */
  speed: number | null;
  /** Wall clock of the report (ms). */
  at: number;
}

export interface FfmpegResult {
  /** Exit code; null when killed by a signal. */
  code: number | null;
  signal: string | null;
  /** Last lines ffmpeg wrote to stderr (stats lines left out). */
  stderrTail: string[];
}

export interface RunningFfmpeg {
  pid: number | undefined;
  done: Promise<FfmpegResult>;
  kill(signal?: NodeJS.Signals): void;
}

export interface RunOptions {
  onProgress?: (p: FfmpegProgress) => void;
  /** Lines of stderr kept for the error message. */
  tailLines?: number;
}

export class FfmpegError extends Error {
  constructor(
    readonly result: FfmpegResult,
    what: string,
  ) {
    const why = result.signal ? `killed by ${result.signal}` : `exited with code ${result.code}`;
    super(`${what}: ffmpeg ${why}${result.stderrTail.length ? `: ${result.stderrTail.slice(-3).join(" | ")}` : ""}`);
  }
}

const STATS_LINE = /^(?:frame=|size=)/;
const TIME = /time=\s*(-?\d+):(\d+):(\d+(?:\.\d+)?)/;
const SPEED = /speed=\s*([\d.]+)x/;

/** Pure: the media time and speed in one of ffmpeg's stats lines, or null for any other line. */
export function parseStatsLine(line: string, at = Date.now()): FfmpegProgress | null {
  if (!STATS_LINE.test(line.trim())) return null;
  const t = TIME.exec(line);
  if (!t) return null;
  const sign = t[1].startsWith("-") ? -1 : 1;
  const mediaSeconds = sign * (Math.abs(Number(t[1])) * 3600 + Number(t[2]) * 60 + Number(t[3]));
  const s = SPEED.exec(line);
  return { mediaSeconds, speed: s ? Number(s[1]) : null, at };
}

function addOptions(add: (...opts: string[]) => unknown, options: string[]): void {
  // Several arguments: fluent-ffmpeg then takes each as one argv entry, never splitting at spaces.
  if (options.length > 1) add(...options);
  else if (options.length === 1) add(options[0]);
}

export async function startFfmpeg(spec: FfmpegSpec, opts: RunOptions = {}): Promise<RunningFfmpeg> {
  const tailLines = opts.tailLines ?? 15;
  const tail: string[] = [];
  const cmd = ffmpeg({ stdoutLines: 0 }).setFfmpegPath(config.ffmpegPath);
  spec.inputs.forEach((input, i) => {
    cmd.input(input.source);
    addOptions((...o) => cmd.inputOptions(...(o as [string])), i === 0 ? [...spec.globalOptions, ...input.options] : input.options);
  });
  if (spec.filterComplex) cmd.complexFilter(spec.filterComplex);
  for (const o of spec.outputs) {
    cmd.output(o.target);
    addOptions((...x) => cmd.outputOptions(...(x as [string])), o.options);
  }
  const started = new Promise<void>((resolve, reject) => {
    cmd.on("start", () => resolve());
    cmd.on("error", (err: Error) => reject(err));
  });
  const done = new Promise<FfmpegResult>((resolve) => {
    cmd.on("stderr", (line: string) => {
      const progress = parseStatsLine(line);
      if (progress) return opts.onProgress?.(progress);
      if (!line.trim()) return;
      tail.push(line);
      if (tail.length > tailLines) tail.shift();
    });
    cmd.on("end", () => resolve({ code: 0, signal: null, stderrTail: tail }));
    cmd.on("error", (err: Error) => {
      const m = /ffmpeg was killed with signal (\w+)|ffmpeg exited with code (\d+)/.exec(err.message);
      resolve({ code: m?.[2] ? Number(m[2]) : null, signal: m?.[1] ?? (m ? null : "error"), stderrTail: m ? tail : [...tail, err.message] });
    });
  });
  cmd.run();
  await started.catch(() => {});
  const proc = (cmd as unknown as { ffmpegProc?: { pid?: number } }).ffmpegProc;
  return { pid: proc?.pid, done, kill: (signal = "SIGKILL") => cmd.kill(signal) };
}

/** Runs to the end; throws FfmpegError with the stderr tail when ffmpeg fails. */
export async function runFfmpeg(spec: FfmpegSpec, what: string, opts: RunOptions = {}): Promise<void> {
  const running = await startFfmpeg(spec, opts);
  const result = await running.done;
  if (result.code !== 0) throw new FfmpegError(result, what);
}

export interface ProbedVideo {
  width: number | null;
  height: number | null;
  fps: number | null;
}

/** The first video stream's size and frame rate (nulls when there is none or the probe fails). */
export function probeVideo(url: string): Promise<ProbedVideo> {
  return new Promise((resolve) => {
    ffmpeg.setFfprobePath(config.ffmpegPath.replace(/ffmpeg$/, "ffprobe"));
    ffmpeg.ffprobe(url, (err, data) => {
      const v = data?.streams.find((s) => s.codec_type === "video");
      if (err || !v) return resolve({ width: null, height: null, fps: null });
      const [n, d] = String(v.avg_frame_rate ?? "0/1").split("/").map(Number);
      resolve({ width: v.width ?? null, height: v.height ?? null, fps: d ? n / d : null });
    });
  });
}

/** Presentation time (seconds) of the first video packet of a media file, or null. */
export function firstVideoPts(file: string): Promise<number | null> {
  return new Promise((resolve) => {
    ffmpeg.setFfprobePath(config.ffmpegPath.replace(/ffmpeg$/, "ffprobe"));
    ffmpeg.ffprobe(file, ["-select_streams", "v:0", "-show_entries", "packet=pts_time", "-read_intervals", "%+#1"], (err, data) => {
      const start = (data as unknown as { streams?: { start_time?: number | string }[] })?.streams?.[0]?.start_time;
      resolve(err || start === undefined || start === "N/A" ? null : Number(start));
    });
  });
}
