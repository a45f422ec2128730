// Builds the ONE ffmpeg command that transcodes a live input into every rung of
// the ladder: decode once, scale in a cascade (1080→720→480→360), encode each
// rung with keyframes forced on segment boundaries, copy AAC audio, and cut each
// rung into MPEG-TS segments listed in a CSV that the worker turns into HLS
// playlists. Pure: it returns arguments; workers/ runs them.
import { avcCodecString, highProfileLevel } from "./h264.ts";
import type { Ladder } from "../ladder.ts";
import { rungsForSource } from "../ladder.ts";

export interface SourceInfo {
  width: number;
  height: number;
  fps: number;
  /** RFC 6381 codec of the source video ("avc1.64001f"), when known. */
  videoCodec: string | null;
  /** "mp4a.40.2" for AAC; another value for other codecs; null for no audio. */
  audioCodec: string | null;
  /** Source video bitrate, for the passthrough rung's BANDWIDTH. */
  videoKbps?: number;
}

export interface Rendition {
  /** Directory and quality-menu name: "720p30", or "source". */
  name: string;
  width: number;
  height: number;
  fps: number;
  videoKbps: number;
  audioKbps: number;
  /** Peak bits per second for the master playlist's BANDWIDTH. */
  bandwidth: number;
  codecs: string;
  passthrough: boolean;
}

export interface FfmpegOutput {
  target: string;
  options: string[];
}

/** A command as data: what fluent-ffmpeg (or anything else) needs to run it. */
export interface FfmpegSpec {
  input: string;
  inputOptions: string[];
  filterComplex: string | null;
  outputs: FfmpegOutput[];
}

export interface LiveLadderOptions {
  input: string;
  source: SourceInfo;
  ladder: Ladder;
  segmentSeconds: number;
  /** Where a rendition's segments and segment list go (a directory path). */
  outputDir: (rendition: Rendition) => string;
  /** Segment file prefix, e.g. "p0e3-" (part 0, epoch 3), so attempts never overwrite each other. */
  segmentPrefix: string;
  x264Preset?: string;
  /** Extra outputs (e.g. WebRTC RTP) that read the same filter graph labels or inputs. */
  extraOutputs?: FfmpegOutput[];
}

export const AAC = "mp4a.40.2";
const AUDIO_REENCODE_KBPS = 128;
// MPEG-TS packetisation and rate-control peaks on top of the nominal bitrate.
const TS_OVERHEAD = 1.1;
const MAXRATE_FACTOR = 1.07;

const even = (n: number) => Math.max(2, Math.round(n / 2) * 2);

export function planRenditions(source: SourceInfo, ladder: Ladder): Rendition[] {
  const audioKbps = source.audioCodec ? AUDIO_REENCODE_KBPS : 0;
  const audioCodecs = source.audioCodec ? (source.audioCodec.startsWith("mp4a.") ? source.audioCodec : AAC) : null;
  const out: Rendition[] = [];
  if (ladder.passthrough) {
    const kbps = source.videoKbps && source.videoKbps > 0 ? source.videoKbps : 8000;
    out.push({
      name: "source",
      width: source.width,
      height: source.height,
      fps: source.fps,
      videoKbps: kbps,
      audioKbps,
      bandwidth: Math.round((kbps * 1.25 + audioKbps) * 1000 * TS_OVERHEAD),
      codecs: [source.videoCodec ?? "avc1.640028", audioCodecs].filter(Boolean).join(","),
      passthrough: true,
    });
  }
  for (const rung of rungsForSource(ladder, source.height)) {
    const width = even((source.width * rung.height) / source.height);
    const fps = Math.min(rung.fps, Math.round(source.fps) || rung.fps);
    const peak = Math.round(rung.videoKbps * MAXRATE_FACTOR);
    const level = highProfileLevel(width, rung.height, fps, peak);
    out.push({
      name: rung.name,
      width,
      height: rung.height,
      fps,
      videoKbps: rung.videoKbps,
      audioKbps,
      bandwidth: Math.round((peak + audioKbps) * 1000 * TS_OVERHEAD),
      codecs: [avcCodecString(100, 0, level.idc), audioCodecs].filter(Boolean).join(","),
      passthrough: false,
    });
  }
  return out;
}

/** The cascade: each rung scales from the one above it, so big frames are scaled once.
 * Each step shrinks by at most ~1.5×, where bilinear looks like bicubic and costs less
 * (bench:transcode: 0.50 vs 0.53 of the naive baseline). */
function cascadeFilter(source: SourceInfo, encoded: Rendition[]): { graph: string; labels: string[] } {
  const parts: string[] = [];
  const labels: string[] = [];
  let from = "[0:v]";
  let fromHeight = source.height;
  encoded.forEach((r, i) => {
    const needScale = r.height !== fromHeight;
    const last = i === encoded.length - 1;
    const chain: string[] = [];
    if (i === 0) chain.push("format=yuv420p");
    if (needScale) chain.push(`scale=${r.width}:${r.height}:flags=bilinear`);
    const tap = `[t${i}]`;
    if (last) {
      parts.push(`${from}${chain.length ? chain.join(",") : "null"}${tap}`);
    } else {
      chain.push("split=2");
      parts.push(`${from}${chain.join(",")}${tap}[c${i}]`);
      from = `[c${i}]`;
      fromHeight = r.height;
    }
    // Frame-rate reduction is per rung, after the split, so lower rungs can still scale from full-rate frames.
    if (r.fps < Math.round(source.fps)) {
      parts.push(`${tap}fps=${r.fps}[v${i}]`);
      labels.push(`[v${i}]`);
    } else {
      labels.push(tap);
    }
  });
  return { graph: parts.join(";"), labels };
}

function segmentOutput(dir: string, prefix: string, segmentSeconds: number): { target: string; options: string[] } {
  return {
    target: `${dir}/${prefix}%06d.ts`,
    options: [
      "-f", "segment",
      "-segment_time", String(segmentSeconds),
      "-segment_format", "mpegts",
      "-segment_list", `${dir}/${prefix}segments.csv`,
      "-segment_list_type", "csv",
      "-segment_list_flags", "live",
      "-reset_timestamps", "0",
      "-break_non_keyframes", "0",
      // Keep input timestamps in the segments: PROGRAM-DATE-TIME is computed from them.
      "-muxdelay", "0",
      "-muxpreload", "0",
    ],
  };
}

export function buildLiveLadder(opts: LiveLadderOptions): { spec: FfmpegSpec; renditions: Rendition[] } {
  const renditions = planRenditions(opts.source, opts.ladder);
  if (renditions.length === 0) {
    throw new Error(`No rung of the ladder fits a ${opts.source.height}p source; add a smaller rung or "source".`);
  }
  const encoded = renditions.filter((r) => !r.passthrough);
  const { graph, labels } = encoded.length ? cascadeFilter(opts.source, encoded) : { graph: null, labels: [] };
  const audioCopy = opts.source.audioCodec === AAC || opts.source.audioCodec?.startsWith("mp4a.40.");
  const audio = opts.source.audioCodec
    ? ["-map", "0:a:0", ...(audioCopy ? ["-c:a", "copy"] : ["-c:a", "aac", "-b:a", `${AUDIO_REENCODE_KBPS}k`, "-ac", "2", "-ar", "48000"])]
    : [];
  const seg = opts.segmentSeconds;
  const outputs: FfmpegOutput[] = [];
  for (const r of renditions) {
    const out = segmentOutput(opts.outputDir(r), opts.segmentPrefix, seg);
    if (r.passthrough) {
      outputs.push({ target: out.target, options: ["-map", "0:v:0", "-c:v", "copy", ...audio, ...out.options] });
      continue;
    }
    const i = encoded.indexOf(r);
    const gop = Math.max(1, Math.round(r.fps * seg));
    const peak = Math.round(r.videoKbps * MAXRATE_FACTOR);
    const level = highProfileLevel(r.width, r.height, r.fps, peak);
    outputs.push({
      target: out.target,
      options: [
        "-map", labels[i],
        "-c:v", "libx264",
        "-preset", opts.x264Preset ?? "veryfast",
        // zerolatency: no B-frames or lookahead — lower latency, and WebRTC-ready H.264.
        "-tune", "zerolatency",
        "-profile:v", "high",
        "-level:v", level.name,
        "-pix_fmt", "yuv420p",
        "-b:v", `${r.videoKbps}k`,
        "-maxrate", `${peak}k`,
        "-bufsize", `${r.videoKbps * 2}k`,
        // Keyframes exactly on segment boundaries in every rung, never on scene cuts.
        "-g", String(gop),
        "-keyint_min", String(gop),
        "-sc_threshold", "0",
        "-force_key_frames", `expr:gte(t,n_forced*${seg})`,
        ...audio,
        ...out.options,
      ],
    });
  }
  outputs.push(...(opts.extraOutputs ?? []));
  return {
    renditions,
    spec: {
      input: opts.input,
      inputOptions: [
        "-hide_banner",
        "-nostats",
        "-copyts",
        // Start quickly: ingest already knows what the stream is, and a long probe
        // would hold back the first segment (a reconnect's first segment must be quick).
        "-analyzeduration", "300000",
        "-probesize", "500000",
        // A stalled input ends the process instead of hanging the job (microseconds).
        "-rw_timeout", "10000000",
      ],
      filterComplex: graph,
      outputs,
    },
  };
}

/** The command line as ffmpeg receives it (used by tests and the benchmark). */
export function specToArgs(spec: FfmpegSpec): string[] {
  const args = [...spec.inputOptions, "-i", spec.input];
  if (spec.filterComplex) args.push("-filter_complex", spec.filterComplex);
  for (const o of spec.outputs) args.push(...o.options, o.target);
  return args;
}
