// Reads the CSV segment list ffmpeg's segment muxer appends to ("file,start,end"
// per finished segment) and yields each new segment once.
import { open } from "node:fs/promises";

export interface CutSegment {
  file: string;
  start: number; // seconds, input timeline
  end: number;
}

export function parseSegmentLine(line: string): CutSegment | null {
  const m = /^([^,]+),(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)$/.exec(line.trim());
  if (!m) return null;
  const start = Number(m[2]);
  const end = Number(m[3]);
  if (!(end > start)) return null;
  return { file: m[1], start, end };
}

/** Follows a growing CSV file; call poll() repeatedly. Tolerates the file not existing yet. */
export class SegmentListTail {
  private offset = 0;
  private partial = "";

  constructor(readonly path: string) {}

  async poll(): Promise<CutSegment[]> {
    let fh;
    try {
      fh = await open(this.path, "r");
    } catch {
      return [];
    }
    try {
      const { size } = await fh.stat();
      if (size <= this.offset) return [];
      const buf = Buffer.alloc(size - this.offset);
      await fh.read(buf, 0, buf.length, this.offset);
      this.offset = size;
      const text = this.partial + buf.toString("utf8");
      const lines = text.split("\n");
      this.partial = lines.pop() ?? "";
      return lines.map(parseSegmentLine).filter((s): s is CutSegment => s !== null);
    } finally {
      await fh.close();
    }
  }
}
