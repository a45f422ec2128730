// A chunk-level guard in front of node-media-server's RTMP parser. NMS trusts
// what a client announces: it allocates a chunk stream's announced message
// length (up to 16 MB) per chunk stream id before a byte of it arrives, decodes
// AMF of any size and depth, and stalls on a chunk size of 0. The guard follows
// the same byte stream — handshake, chunk headers, chunk size changes — exactly
// as NMS frames it, and says "stop" before NMS sees a byte that would break a
// limit. Pure: no sockets, no clocks; ingest/admission.ts feeds it and closes.
//
// Limits are tighter until the publish is verified: an unauthenticated
// connection may hold only a small, fixed amount of memory and CPU.

export interface GuardLimits {
  /** Commands and other non-media messages (connect, createStream, publish, metadata). */
  commandMaxBytes: number;
  /** One audio or video message (a 4K keyframe fits). */
  mediaMaxBytes: number;
  /** Distinct chunk stream ids (encoders use 3 to 6). */
  maxChunkStreams: number;
  /** Sum over chunk streams of the largest message each announced: what NMS keeps allocated. */
  maxAnnouncedBytes: number;
  /** AMF nesting depth and entries of one array or object. */
  amfMaxDepth: number;
  amfMaxEntries: number;
}

export const UNVERIFIED_LIMITS: GuardLimits = {
  commandMaxBytes: 8 * 1024,
  mediaMaxBytes: 8 << 20,
  maxChunkStreams: 8,
  maxAnnouncedBytes: 10 << 20,
  amfMaxDepth: 8,
  amfMaxEntries: 256,
};

export const VERIFIED_LIMITS: GuardLimits = {
  commandMaxBytes: 64 * 1024,
  mediaMaxBytes: 16 << 20,
  maxChunkStreams: 32,
  maxAnnouncedBytes: 64 << 20,
  amfMaxDepth: 16,
  amfMaxEntries: 4096,
};

const HANDSHAKE_SIZE = 1536;
const DEFAULT_CHUNK_SIZE = 128;
// Same table as NMS: message header bytes by chunk format 0–3.
const HEADER_SIZE = [11, 7, 3, 0];
const TYPE_SET_CHUNK_SIZE = 1;
const TYPE_AUDIO = 8;
const TYPE_VIDEO = 9;
const TYPE_FLEX_STREAM = 15;
const TYPE_FLEX_MESSAGE = 17;
const TYPE_DATA = 18;
const TYPE_INVOKE = 20;

export type GuardVerdict = { ok: true } | { ok: false; reason: string };

interface ChunkStream {
  timestampField: number;
  length: number;
  type: number;
  /** Payload bytes of the current message received so far. */
  received: number;
  /** The largest message this chunk stream announced (NMS keeps a buffer that size). */
  capacity: number;
  /** Payload being collected for inspection (commands only; media is never copied). */
  body: Buffer[] | null;
}

type Phase = "c0" | "c1" | "c2" | "basic" | "header" | "payload";

export class RtmpGuard {
  private phase: Phase = "c0";
  private need = 1;
  // Basic header (up to 3 bytes) + message header (11) + extended timestamp (4).
  private header = Buffer.alloc(18);
  private headerBytes = 0;
  private basicBytes = 1;
  private chunkSize = DEFAULT_CHUNK_SIZE;
  private streams = new Map<number, ChunkStream>();
  private current: ChunkStream | null = null;
  private announced = 0;
  /** Commands seen, by name ("connect", "publish", …). */
  readonly commands: string[] = [];
  private failed: string | null = null;

  constructor(private limits: GuardLimits = UNVERIFIED_LIMITS) {}

  /** The publish was verified: the looser limits apply from now on. */
  relax(limits: GuardLimits = VERIFIED_LIMITS): void {
    this.limits = limits;
  }

  get handshakeDone(): boolean {
    return this.phase !== "c0" && this.phase !== "c1" && this.phase !== "c2";
  }

  /** Checks the next bytes the client sent. Once it said no, it says no to everything. */
  feed(data: Buffer): GuardVerdict {
    if (this.failed) return { ok: false, reason: this.failed };
    const reason = this.consume(data);
    if (reason) {
      this.failed = reason;
      return { ok: false, reason };
    }
    return { ok: true };
  }

  private consume(data: Buffer): string | null {
    let i = 0;
    while (i < data.length) {
      switch (this.phase) {
        case "c0": {
          if (data[i] !== 3) return `not RTMP (handshake version ${data[i]})`;
          i++;
          this.phase = "c1";
          this.need = HANDSHAKE_SIZE;
          break;
        }
        case "c1":
        case "c2": {
          const n = Math.min(this.need, data.length - i);
          this.need -= n;
          i += n;
          if (this.need === 0) {
            this.phase = this.phase === "c1" ? "c2" : "basic";
            this.need = HANDSHAKE_SIZE;
            this.headerBytes = 0;
          }
          break;
        }
        case "basic": {
          const b = data[i++];
          this.header[0] = b;
          this.headerBytes = 1;
          const low = b & 0x3f;
          this.basicBytes = low === 0 ? 2 : low === 1 ? 3 : 1;
          this.phase = "header";
          break;
        }
        case "header": {
          const fmt = this.header[0] >> 6;
          const plain = this.basicBytes + HEADER_SIZE[fmt];
          while (this.headerBytes < plain && i < data.length) this.header[this.headerBytes++] = data[i++];
          if (this.headerBytes < plain) break;
          // An extended timestamp follows when the timestamp field says 0xffffff; for
          // format 3 that is the chunk stream's last field, as NMS reads it.
          const ts = fmt <= 2 ? this.header.readUIntBE(this.basicBytes, 3) : (this.streams.get(this.chunkStreamId())?.timestampField ?? 0);
          const size = ts === 0xffffff ? plain + 4 : plain;
          while (this.headerBytes < size && i < data.length) this.header[this.headerBytes++] = data[i++];
          if (this.headerBytes < size) break;
          const err = this.startChunk(fmt);
          if (err) return err;
          this.phase = "payload";
          break;
        }
        case "payload": {
          const cs = this.current!;
          const inChunk = this.chunkSize - (cs.received % this.chunkSize);
          const n = Math.min(inChunk, cs.length - cs.received, data.length - i);
          if (cs.body && n > 0) cs.body.push(data.subarray(i, i + n));
          cs.received += n;
          i += n;
          if (cs.received >= cs.length) {
            const err = this.messageDone(cs);
            if (err) return err;
            this.phase = "basic";
          } else if (cs.received % this.chunkSize === 0) {
            this.phase = "basic";
          }
          break;
        }
      }
    }
    return null;
  }

  /** NMS's chunk stream id, including its arithmetic for 3-byte ids (it keys its buffers by it). */
  private chunkStreamId(): number {
    if (this.basicBytes === 2) return 64 + this.header[1];
    if (this.basicBytes === 3) return (64 + this.header[1] + this.header[2]) << 8;
    return this.header[0] & 0x3f;
  }

  private startChunk(fmt: number): string | null {
    const id = this.chunkStreamId();
    let cs = this.streams.get(id);
    if (!cs) {
      if (this.streams.size >= this.limits.maxChunkStreams) return `too many chunk streams (more than ${this.limits.maxChunkStreams})`;
      cs = { timestampField: 0, length: 0, type: 0, received: 0, capacity: 0, body: null };
      this.streams.set(id, cs);
    }
    const o = this.basicBytes;
    if (fmt <= 2) cs.timestampField = this.header.readUIntBE(o, 3);
    if (fmt <= 1) {
      const length = this.header.readUIntBE(o + 3, 3);
      const type = this.header[o + 6];
      // NMS would carry on into the buffer it allocated for the old length.
      if (cs.received > 0 && (length !== cs.length || type !== cs.type)) return "a message header changed in the middle of a message";
      cs.length = length;
      cs.type = type;
    }
    if (cs.received === 0) {
      // A new message: check what it announces before NMS allocates it.
      const media = cs.type === TYPE_AUDIO || cs.type === TYPE_VIDEO;
      const max = media ? this.limits.mediaMaxBytes : this.limits.commandMaxBytes;
      if (cs.length > max) return `${media ? "media" : `type ${cs.type}`} message of ${cs.length} bytes (limit ${max})`;
      if (cs.length > cs.capacity) {
        this.announced += cs.length - cs.capacity;
        cs.capacity = cs.length;
        if (this.announced > this.limits.maxAnnouncedBytes) return `messages announced ${this.announced} bytes in all (limit ${this.limits.maxAnnouncedBytes})`;
      }
      cs.body = media ? null : [];
    }
    this.current = cs;
    return null;
  }

  private messageDone(cs: ChunkStream): string | null {
    cs.received = 0;
    const body = cs.body ? Buffer.concat(cs.body) : null;
    cs.body = null;
    if (!body) return null;
    if (cs.type === TYPE_SET_CHUNK_SIZE) {
      if (body.length < 4) return "set chunk size message too short";
      const size = body.readUInt32BE(0);
      if (size < 1 || size > 0x7fffffff) return `chunk size ${size} is not allowed`;
      this.chunkSize = size;
      return null;
    }
    if (cs.type === TYPE_INVOKE || cs.type === TYPE_DATA || cs.type === TYPE_FLEX_MESSAGE || cs.type === TYPE_FLEX_STREAM) {
      const amf = cs.type === TYPE_FLEX_MESSAGE || cs.type === TYPE_FLEX_STREAM ? body.subarray(1) : body;
      const checked = checkAmf0(amf, this.limits);
      if (!checked.ok) return `malformed AMF in a type ${cs.type} message: ${checked.reason}`;
      // Only the first few matter (admission asks whether "publish" came); a chatty client cannot grow the list.
      if ((cs.type === TYPE_INVOKE || cs.type === TYPE_FLEX_MESSAGE) && checked.firstString !== null && this.commands.length < 16) this.commands.push(checked.firstString.slice(0, 32));
    }
    return null;
  }
}

/**
 * Walks a buffer of AMF0 values without building them: well-formed, within depth
 * and entry limits, every length inside the buffer. Linear in the buffer's size.
 */
export function checkAmf0(buf: Buffer, limits: Pick<GuardLimits, "amfMaxDepth" | "amfMaxEntries">): { ok: true; firstString: string | null } | { ok: false; reason: string } {
  let pos = 0;
  let firstString: string | null = null;
  const fail = (reason: string) => ({ ok: false as const, reason });
  const need = (n: number) => pos + n <= buf.length;

  // Returns an error or null. Iterative over entries, recursive over depth (bounded by amfMaxDepth).
  const value = (depth: number): string | null => {
    if (depth > limits.amfMaxDepth) return `nested deeper than ${limits.amfMaxDepth}`;
    if (!need(1)) return "truncated";
    const marker = buf[pos++];
    switch (marker) {
      case 0x00: // number
        if (!need(8)) return "truncated number";
        pos += 8;
        return null;
      case 0x01: // boolean
        if (!need(1)) return "truncated boolean";
        pos += 1;
        return null;
      case 0x02: { // string
        if (!need(2)) return "truncated string";
        const n = buf.readUInt16BE(pos);
        pos += 2;
        if (!need(n)) return "string longer than its message";
        if (firstString === null && depth === 0) firstString = buf.toString("utf8", pos, pos + n);
        pos += n;
        return null;
      }
      case 0x05: // null
      case 0x06: // undefined
        return null;
      case 0x07: // reference
        if (!need(2)) return "truncated reference";
        pos += 2;
        return null;
      case 0x03: // object
        return properties(depth);
      case 0x08: // ECMA array: a count (not trusted), then properties
        if (!need(4)) return "truncated array";
        pos += 4;
        return properties(depth);
      case 0x10: { // typed object: class name, then properties
        if (!need(2)) return "truncated typed object";
        const n = buf.readUInt16BE(pos);
        pos += 2;
        if (!need(n)) return "class name longer than its message";
        pos += n;
        return properties(depth);
      }
      case 0x0a: { // strict array
        if (!need(4)) return "truncated strict array";
        const count = buf.readUInt32BE(pos);
        pos += 4;
        if (count > limits.amfMaxEntries) return `array of ${count} entries (limit ${limits.amfMaxEntries})`;
        for (let k = 0; k < count; k++) {
          const err = value(depth + 1);
          if (err) return err;
        }
        return null;
      }
      case 0x0b: // date
        if (!need(10)) return "truncated date";
        pos += 10;
        return null;
      case 0x0c: // long string
      case 0x0f: { // XML document
        if (!need(4)) return "truncated long string";
        const n = buf.readUInt32BE(pos);
        pos += 4;
        if (!need(n)) return "long string longer than its message";
        pos += n;
        return null;
      }
      default:
        return `AMF0 type 0x${marker.toString(16)} is not accepted`;
    }
  };

  const properties = (depth: number): string | null => {
    for (let k = 0; ; k++) {
      if (k > limits.amfMaxEntries) return `object of more than ${limits.amfMaxEntries} entries`;
      if (!need(2)) return "truncated object";
      const n = buf.readUInt16BE(pos);
      pos += 2;
      if (n === 0) {
        if (!need(1)) return "truncated object end";
        if (buf[pos] === 0x09) {
          pos++;
          return null;
        }
      }
      if (!need(n)) return "property name longer than its message";
      pos += n;
      const err = value(depth + 1);
      if (err) return err;
    }
  };

  while (pos < buf.length) {
    const err = value(0);
    if (err) return fail(err);
  }
  return { ok: true, firstString };
}
