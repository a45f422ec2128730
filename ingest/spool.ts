// A live part's source on ingest's disk, kept as it arrives so that workers read
// it at their own pace and from any position (lib/spool.ts is the protocol).
//
//   <INGEST_SPOOL_DIR>/<part id>/headers.flv   codec headers at the start (for recovery)
//   <INGEST_SPOOL_DIR>/<part id>/000000.flv    FLV tags, a new file every ~8 MB, at a keyframe
//
// Writes are queued and flushed in order; readers only ever see flushed bytes.
// Files are removed from the front once the worker has listed their media (or,
// past INGEST_SPOOL_MAX_MB, even before: then media is lost and logged).
import { closeSync, mkdirSync, openSync, writeFileSync, writev } from "node:fs";
import { readFile, readdir, rm } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { flvTag, scanTags, TAG_AUDIO, TAG_SCRIPT, TAG_VIDEO } from "./flvTags.ts";
import type { NmsPacket } from "./nms.ts";

const writeVectors = promisify(writev);

const CHUNK_BYTES = 8 << 20;

export interface SpoolOptions {
  /** A new file starts at the first keyframe after this many bytes (tests use small files). */
  chunkBytes?: number;
}

export interface CodecHeaders {
  metadata: Buffer | null;
  video: Buffer | null;
  audio: Buffer | null;
}

interface Chunk {
  index: number;
  file: string;
  fd: number | null;
  /** Bytes flushed to the file: what readers may read. */
  flushed: number;
  /** Bytes appended (flushed or queued). */
  queued: number;
  firstDts: number | null;
  lastDts: number | null;
  /** No more bytes will be appended. */
  sealed: boolean;
}

export interface KeyframeEntry {
  dts: number;
  chunk: number;
  offset: number;
  headers: CodecHeaders;
}

export interface StartPosition {
  chunk: number;
  offset: number;
  dts: number;
  /** Codec headers to send ahead of the first tag (none when starting at the very beginning). */
  headers: CodecHeaders | null;
}

export const chunkName = (index: number) => `${String(index).padStart(6, "0")}.flv`;

/** The last keyframe at or before `fromMs` (or the first one), from an index sorted by time. Pure. */
export function keyframeAtOrBefore(index: KeyframeEntry[], fromMs: number): KeyframeEntry | null {
  if (index.length === 0) return null;
  let lo = 0;
  let hi = index.length - 1;
  if (index[0].dts > fromMs) return index[0];
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (index[mid].dts <= fromMs) lo = mid;
    else hi = mid - 1;
  }
  return index[lo];
}

export class PartSpool {
  private chunks: Chunk[] = [];
  private keyframes: KeyframeEntry[] = [];
  private headers: CodecHeaders = { metadata: null, video: null, audio: null };
  private queue: { chunk: Chunk; buf: Buffer }[] = [];
  private flushing = false;
  private waiters: (() => void)[] = [];
  private finishing = false;
  /** The publisher left and every byte is flushed. */
  finished = false;
  firstDts: number | null = null;
  lastDts: number | null = null;
  /** Media dropped before it was transcoded because the spool hit its size limit (ms of source). */
  droppedMs = 0;
  hasAudio = false;
  hasVideo = false;

  private constructor(
    readonly partId: string,
    readonly dir: string,
    private readonly chunkBytes = CHUNK_BYTES,
  ) {}

  static create(root: string, partId: string, opts: SpoolOptions = {}): PartSpool {
    const s = new PartSpool(partId, path.join(root, partId), opts.chunkBytes);
    mkdirSync(s.dir, { recursive: true });
    s.openChunk(0);
    return s;
  }

  /** Rebuilds a spool left by an earlier ingest process (its publisher is gone: the spool is finished). */
  static async recover(root: string, partId: string): Promise<PartSpool | null> {
    const dir = path.join(root, partId);
    const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => /^\d{6}\.flv$/.test(n)).sort();
    if (names.length === 0) return null;
    const s = new PartSpool(partId, dir);
    const initial = await readFile(path.join(dir, "headers.flv")).catch(() => Buffer.alloc(0));
    for (const t of scanTags(initial)) s.noteHeader(t.type, initial.subarray(t.offset, t.offset + t.length));
    for (const name of names) {
      const index = Number(name.slice(0, 6));
      const data = await readFile(path.join(dir, name));
      const chunk: Chunk = { index, file: path.join(dir, name), fd: null, flushed: 0, queued: 0, firstDts: null, lastDts: null, sealed: true };
      for (const t of scanTags(data)) {
        const tag = data.subarray(t.offset, t.offset + t.length);
        if (t.codecHeader) s.noteHeader(t.type, tag);
        if (t.type === TAG_AUDIO) s.hasAudio = true;
        if (t.type === TAG_VIDEO) s.hasVideo = true;
        if (t.keyframe) s.keyframes.push({ dts: t.dts, chunk: index, offset: t.offset, headers: { ...s.headers } });
        if (t.type === TAG_AUDIO || t.type === TAG_VIDEO) {
          chunk.firstDts ??= t.dts;
          chunk.lastDts = t.dts;
          s.firstDts ??= t.dts;
          s.lastDts = t.dts;
        }
        chunk.flushed = chunk.queued = t.offset + t.length;
      }
      s.chunks.push(chunk);
    }
    s.finished = true;
    return s;
  }

  get bytes(): number {
    return this.chunks.reduce((sum, c) => sum + c.queued, 0);
  }

  /** Appends one publisher message. Synchronous: the packet's buffer is reused by NMS after this returns. */
  append(packet: NmsPacket): void {
    if (this.finishing) return;
    const tag = flvTag(packet);
    const isMedia = packet.codec_type === TAG_AUDIO || packet.codec_type === TAG_VIDEO;
    if (packet.codec_type === TAG_AUDIO) this.hasAudio = true;
    if (packet.codec_type === TAG_VIDEO) this.hasVideo = true;
    const header = packet.flags === 0 || packet.flags === 2 || packet.flags === 5;
    if (header) {
      const first = this.noteHeader(packet.codec_type, tag);
      if (first) this.persistHeaders();
    }
    let chunk = this.chunks[this.chunks.length - 1];
    if (packet.flags === 3) {
      if (chunk.queued >= this.chunkBytes) chunk = this.openChunk(chunk.index + 1);
      this.keyframes.push({ dts: packet.dts, chunk: chunk.index, offset: chunk.queued, headers: { ...this.headers } });
    }
    if (isMedia && !header) {
      chunk.firstDts ??= packet.dts;
      chunk.lastDts = packet.dts;
      this.firstDts ??= packet.dts;
      this.lastDts = packet.dts;
    }
    chunk.queued += tag.length;
    this.queue.push({ chunk, buf: tag });
    void this.flush();
  }

  /** The publisher left: flush what is queued, then readers get end-of-stream after the last byte. */
  async finish(): Promise<void> {
    this.finishing = true;
    await this.flush();
    while (this.flushing || this.queue.length) await this.changed();
    for (const c of this.chunks) this.seal(c);
    this.finished = true;
    this.notify();
  }

  /** Where a read asking for `fromMs` starts: the last keyframe at or before it. */
  startAt(fromMs: number | null): StartPosition | null {
    const first = this.chunks[0];
    if (!first) return null;
    // From the very beginning: every byte, reported as starting at the first keyframe (where
    // decoding starts), so that every read of a part reports starts on the same footing.
    if (fromMs === null && first.index === 0 && this.keyframes[0]?.chunk === 0) return { chunk: 0, offset: 0, dts: this.keyframes[0].dts, headers: null };
    const k = keyframeAtOrBefore(this.keyframes, fromMs ?? 0);
    return k ? { chunk: k.chunk, offset: k.offset, dts: k.dts, headers: k.headers } : null;
  }

  chunk(index: number): { file: string; flushed: number; sealed: boolean } | null {
    const c = this.chunks.find((x) => x.index === index);
    return c ? { file: c.file, flushed: c.flushed, sealed: c.sealed } : null;
  }

  /** Resolves on the next flush, seal, trim or finish. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Drops whole files whose media all lies before `ms` (already listed by the worker). Keeps the newest file. */
  async trimBefore(ms: number): Promise<number> {
    const keep = keyframeAtOrBefore(this.keyframes, ms);
    if (!keep) return 0;
    let removed = 0;
    while (this.chunks.length > 1 && this.chunks[0].index < keep.chunk && this.chunks[0].sealed) {
      await this.dropFirstChunk();
      removed++;
    }
    return removed;
  }

  /** Over the size limit: drop the oldest file even if unlisted. Returns the media lost (ms). */
  async trimToLimit(maxBytes: number): Promise<number> {
    let lost = 0;
    while (this.bytes > maxBytes && this.chunks.length > 1 && this.chunks[0].sealed) {
      const c = this.chunks[0];
      lost += Math.max(0, (this.chunks[1].firstDts ?? c.lastDts ?? 0) - (c.firstDts ?? 0));
      await this.dropFirstChunk();
    }
    this.droppedMs += lost;
    return lost;
  }

  async remove(): Promise<void> {
    for (const c of this.chunks) this.closeFd(c);
    this.chunks = [];
    this.keyframes = [];
    await rm(this.dir, { recursive: true, force: true });
    this.notify();
  }

  /** Records a codec header; true when it is the first of its kind. */
  private noteHeader(type: number, tag: Buffer): boolean {
    const kind = type === TAG_SCRIPT ? "metadata" : type === TAG_VIDEO ? "video" : "audio";
    const first = this.headers[kind] === null;
    this.headers = { ...this.headers, [kind]: tag };
    return first;
  }

  private persistHeaders(): void {
    const parts = [this.headers.metadata, this.headers.video, this.headers.audio].filter((b): b is Buffer => b !== null);
    writeFileSync(path.join(this.dir, "headers.flv"), Buffer.concat(parts));
  }

  private openChunk(index: number): Chunk {
    const file = path.join(this.dir, chunkName(index));
    const chunk: Chunk = { index, file, fd: openSync(file, "a"), flushed: 0, queued: 0, firstDts: null, lastDts: null, sealed: false };
    this.chunks.push(chunk);
    return chunk;
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.queue.length) {
        const chunk = this.queue[0].chunk;
        const run: Buffer[] = [];
        while (this.queue.length && this.queue[0].chunk === chunk) run.push(this.queue.shift()!.buf);
        if (chunk.fd !== null) {
          // A file trimmed away meanwhile has no descriptor: its bytes are simply not kept.
          await writeVectors(chunk.fd, run);
        }
        chunk.flushed += run.reduce((n, b) => n + b.length, 0);
        // Once later bytes go to a newer file, this one is complete.
        if (this.queue.length || this.chunks[this.chunks.length - 1] !== chunk) {
          for (const c of this.chunks) if (c.index < this.chunks[this.chunks.length - 1].index) this.seal(c);
        }
        this.notify();
      }
    } finally {
      this.flushing = false;
      this.notify();
    }
  }

  private seal(c: Chunk): void {
    if (c.flushed < c.queued) return;
    c.sealed = true;
    this.closeFd(c);
  }

  private closeFd(c: Chunk): void {
    if (c.fd !== null) {
      try {
        closeSync(c.fd);
      } catch {}
      c.fd = null;
    }
  }

  private async dropFirstChunk(): Promise<void> {
    const c = this.chunks.shift()!;
    this.closeFd(c);
    this.keyframes = this.keyframes.filter((k) => k.chunk !== c.index);
    await rm(c.file, { force: true });
    this.notify();
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }
}
