// Real segments for the benchmarks that lay sessions down in the media store
// instead of publishing for minutes: a test picture and tone, encoded once and cut
// as the live ladder cuts them (keyframe on every boundary, timestamps kept).
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseSegmentLine } from "../lib/hls/segmentList.ts";

export interface SampleSegment {
  /** The segment's file (absolute path). */
  file: string;
  start: number;
  end: number;
}

export function encodeSampleSegments(opts: { dir: string; width: number; height: number; videoKbps: number; seconds: number; segmentSeconds: number }): SampleSegment[] {
  mkdirSync(opts.dir, { recursive: true });
  const gop = String(30 * opts.segmentSeconds);
  execFileSync("ffmpeg", [
    "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30", "-f", "lavfi", "-i", "sine=frequency=440",
    "-t", String(opts.seconds), "-vf", `scale=${opts.width}:${opts.height}`, "-c:v", "libx264", "-preset", "ultrafast", "-b:v", `${opts.videoKbps}k`,
    "-g", gop, "-keyint_min", gop, "-sc_threshold", "0", "-c:a", "aac", "-b:a", "128k",
    "-f", "segment", "-segment_time", String(opts.segmentSeconds), "-segment_list", path.join(opts.dir, "list.csv"),
    "-segment_list_type", "csv", "-reset_timestamps", "0", path.join(opts.dir, "%06d.ts"),
  ]);
  return readFileSync(path.join(opts.dir, "list.csv"), "utf8")
    .trim()
    .split("\n")
    .map((l) => parseSegmentLine(l)!)
    .map((s) => ({ ...s, file: path.join(opts.dir, s.file) }));
}
