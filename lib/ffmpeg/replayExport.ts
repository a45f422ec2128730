// Commands for a replay's MP4 export, poster and thumbnails. Pure.
import type { Rendition } from "./liveLadder.ts";

/** Joins a concat list of TS files into one MP4 without re-encoding. */
export function concatCopyArgs(list: string, out: string): string[] {
  return [
    "-hide_banner", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0", "-i", list,
    "-map", "0:v:0", "-map", "0:a:0?", "-c", "copy",
    // ADTS (TS) → ASC (MP4) for AAC; index at the front so the file plays while it downloads.
    "-bsf:a", "aac_adtstoasc", "-movflags", "+faststart", "-f", "mp4", out,
  ];
}

/**
 * One stretch of segments as a single MPEG-TS. `target` null: stream copy (the
 * stretch already has the replay's shape); otherwise re-encode to the target's size.
 */
export function normaliseStretchArgs(list: string, out: string, target: Rendition | null): string[] {
  const input = ["-hide_banner", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0", "-i", list, "-map", "0:v:0", "-map", "0:a:0?"];
  if (!target) return [...input, "-c", "copy", "-f", "mpegts", out];
  return [
    ...input,
    "-vf", `scale=${target.width}:${target.height}:flags=bicubic,fps=${target.fps},format=yuv420p`,
    "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-b:v", `${target.videoKbps}k`,
    "-maxrate", `${Math.round(target.videoKbps * 1.07)}k`, "-bufsize", `${target.videoKbps * 2}k`,
    "-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2",
    "-f", "mpegts", out,
  ];
}

export function posterArgs(mp4: string, atSeconds: number, out: string): string[] {
  return ["-hide_banner", "-loglevel", "error", "-y", "-ss", atSeconds.toFixed(2), "-i", mp4, "-frames:v", "1", "-vf", "scale=640:-2", "-q:v", "3", out];
}

export function thumbnailArgs(mp4: string, everySeconds: number, dir: string): string[] {
  // Keyframes only: a thumbnail needs no frame in between, and decoding them all would cost more than the export.
  return ["-hide_banner", "-loglevel", "error", "-y", "-skip_frame", "nokey", "-i", mp4, "-vf", `fps=1/${everySeconds},scale=160:-2`, "-vsync", "vfr", "-q:v", "5", `${dir}/%04d.jpg`];
}
