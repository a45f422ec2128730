// The "be right back" slate: one segment per rendition shape, encoded once and
// cached, then re-timed (stream copy) for every slate segment a playlist needs,
// so a slate run plays as one continuous stretch after a single discontinuity.
import { existsSync } from "node:fs";
import { highProfileLevel } from "./h264.ts";
import type { FfmpegSpec } from "./spec.ts";

export interface SlateShape {
  width: number;
  height: number;
  fps: number;
  seconds: number;
  audio: boolean;
}

const FONTS = [
  "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
  "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
];

export function slateFont(): string | null {
  return FONTS.find((f) => existsSync(f)) ?? null;
}

export function slateCacheName(s: SlateShape): string {
  return `slate-v1-${s.width}x${s.height}-${s.fps}-${s.seconds}s-${s.audio ? "a" : "n"}.ts`;
}

/** Encodes one slate segment: dark card, "Be right back", silence; keyframe first. */
export function slateEncodeSpec(s: SlateShape, out: string, font: string | null): FfmpegSpec {
  const big = Math.round(Math.min(s.width, s.height) / 9);
  const small = Math.round(Math.min(s.width, s.height) / 24);
  const text = font
    ? `,drawtext=fontfile=${font}:text='Be right back':fontcolor=white:fontsize=${big}:x=(w-text_w)/2:y=(h-text_h)/2-${small}` +
      `,drawtext=fontfile=${font}:text='The stream will continue in a moment':fontcolor=0xB0B6C3:fontsize=${small}:x=(w-text_w)/2:y=(h/2)+${big}`
    : "";
  const gop = Math.round(s.fps * s.seconds);
  const level = highProfileLevel(s.width, s.height, s.fps, 500);
  return {
    globalOptions: ["-hide_banner", "-loglevel", "error"],
    inputs: [
      { source: `color=c=0x161a24:s=${s.width}x${s.height}:r=${s.fps}${text}`, options: ["-f", "lavfi"] },
      ...(s.audio ? [{ source: "anullsrc=r=48000:cl=stereo", options: ["-f", "lavfi"] }] : []),
    ],
    filterComplex: null,
    outputs: [
      {
        target: out,
        options: [
          "-t", String(s.seconds),
          "-c:v", "libx264", "-preset", "veryfast", "-tune", "stillimage", "-profile:v", "high", "-level:v", level.name,
          "-pix_fmt", "yuv420p", "-g", String(gop), "-keyint_min", String(gop), "-sc_threshold", "0", "-b:v", "300k",
          ...(s.audio ? ["-c:a", "aac", "-b:a", "64k"] : []),
          "-muxdelay", "0", "-muxpreload", "0", "-f", "mpegts",
        ],
      },
    ],
  };
}

/** Copies a cached slate segment with its timestamps moved to `offsetSeconds`. */
export function slateRetimeSpec(cached: string, offsetSeconds: number, out: string): FfmpegSpec {
  return {
    globalOptions: ["-hide_banner", "-loglevel", "error"],
    inputs: [{ source: cached, options: [] }],
    filterComplex: null,
    outputs: [{ target: out, options: ["-c", "copy", "-map", "0", "-output_ts_offset", offsetSeconds.toFixed(3), "-muxdelay", "0", "-muxpreload", "0", "-f", "mpegts"] }],
  };
}
