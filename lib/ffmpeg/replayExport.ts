// Commands for a replay's MP4 export, poster and thumbnails. Pure.
import type { Rendition } from "./liveLadder.ts";
import type { FfmpegSpec } from "./spec.ts";

const QUIET = ["-hide_banner", "-loglevel", "error", "-stats_period", "0.5"];
// The list may name local files or (object storage) time-limited HTTP(S) URLs of the segments.
const concatInput = (list: string) => ({ source: list, options: ["-f", "concat", "-safe", "0", "-protocol_whitelist", "file,http,https,tcp,tls,crypto"] });

/** An ffmpeg concat list of these inputs (paths or URLs), quoted as the demuxer reads them. */
export function concatList(inputs: string[]): string {
  return inputs.map((f) => `file '${f.replaceAll("'", "'\\''")}'`).join("\n") + "\n";
}

/** Joins a concat list of TS files into one MP4 without re-encoding. */
export function concatCopySpec(list: string, out: string): FfmpegSpec {
  return {
    globalOptions: QUIET,
    inputs: [concatInput(list)],
    filterComplex: null,
    outputs: [
      {
        target: out,
        options: [
          "-map", "0:v:0", "-map", "0:a:0?", "-c", "copy",
          // ADTS (TS) → ASC (MP4) for AAC; index at the front so the file plays while it downloads.
          "-bsf:a", "aac_adtstoasc", "-movflags", "+faststart", "-f", "mp4",
        ],
      },
    ],
  };
}

/**
 * One stretch of segments as a single MPEG-TS. `target` null: stream copy (the
 * stretch already has the replay's shape); otherwise re-encode to the target's size.
 */
export function normaliseStretchSpec(list: string, out: string, target: Rendition | null): FfmpegSpec {
  const maps = ["-map", "0:v:0", "-map", "0:a:0?"];
  const options = !target
    ? [...maps, "-c", "copy", "-f", "mpegts"]
    : [
        ...maps,
        "-vf", `scale=${target.width}:${target.height}:flags=bicubic,fps=${target.fps},format=yuv420p`,
        "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-b:v", `${target.videoKbps}k`,
        "-maxrate", `${Math.round(target.videoKbps * 1.07)}k`, "-bufsize", `${target.videoKbps * 2}k`,
        "-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2",
        "-f", "mpegts",
      ];
  return { globalOptions: QUIET, inputs: [concatInput(list)], filterComplex: null, outputs: [{ target: out, options }] };
}

export function posterSpec(mp4: string, atSeconds: number, out: string): FfmpegSpec {
  return {
    globalOptions: QUIET,
    inputs: [{ source: mp4, options: ["-ss", atSeconds.toFixed(2)] }],
    filterComplex: null,
    outputs: [{ target: out, options: ["-frames:v", "1", "-vf", "scale=640:-2", "-q:v", "3"] }],
  };
}

export function thumbnailSpec(mp4: string, everySeconds: number, dir: string): FfmpegSpec {
  return {
    globalOptions: QUIET,
    // Keyframes only: a thumbnail needs no frame in between, and decoding them all would cost more than the export.
    inputs: [{ source: mp4, options: ["-skip_frame", "nokey"] }],
    filterComplex: null,
    outputs: [{ target: `${dir}/%04d.jpg`, options: ["-vf", `fps=1/${everySeconds},scale=160:-2`, "-vsync", "vfr", "-q:v", "5"] }],
  };
}
