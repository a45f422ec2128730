// An RTMP client of our own for the fuzz suite: handshake, chunking and AMF0
// encoding written from the specification, so tests can send exactly the bytes
// an attacker would (wrong lengths, odd chunk sizes, hostile AMF) — which no
// well-behaved client library lets you do.
import { randomBytes } from "node:crypto";
import net from "node:net";

// ---- AMF0 -------------------------------------------------------------------

export type Amf = number | boolean | string | null | undefined | Amf[] | { [k: string]: Amf } | { ecma: Record<string, Amf> };

function amfString(s: string): Buffer {
  const b = Buffer.from(s, "utf8");
  const h = Buffer.alloc(2);
  h.writeUInt16BE(b.length);
  return Buffer.concat([h, b]);
}

function amfProperties(obj: Record<string, Amf>): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(obj)) parts.push(amfString(k), amf0(v));
  parts.push(Buffer.from([0, 0, 9]));
  return Buffer.concat(parts);
}

export function amf0(v: Amf): Buffer {
  if (v === null) return Buffer.from([0x05]);
  if (v === undefined) return Buffer.from([0x06]);
  if (typeof v === "number") {
    const b = Buffer.alloc(9);
    b[0] = 0x00;
    b.writeDoubleBE(v, 1);
    return b;
  }
  if (typeof v === "boolean") return Buffer.from([0x01, v ? 1 : 0]);
  if (typeof v === "string") return Buffer.concat([Buffer.from([0x02]), amfString(v)]);
  if (Array.isArray(v)) {
    const h = Buffer.alloc(5);
    h[0] = 0x0a;
    h.writeUInt32BE(v.length, 1);
    return Buffer.concat([h, ...v.map(amf0)]);
  }
  if ("ecma" in v && typeof v.ecma === "object" && v.ecma !== null && !Array.isArray(v.ecma)) {
    const h = Buffer.alloc(5);
    h[0] = 0x08;
    h.writeUInt32BE(Object.keys(v.ecma).length, 1);
    return Buffer.concat([h, amfProperties(v.ecma as Record<string, Amf>)]);
  }
  return Buffer.concat([Buffer.from([0x03]), amfProperties(v as Record<string, Amf>)]);
}

export const amf0All = (...values: Amf[]) => Buffer.concat(values.map(amf0));

// ---- chunks -----------------------------------------------------------------

export const TYPE = { setChunkSize: 1, audio: 8, video: 9, data: 18, invoke: 20 } as const;

export interface ChunkOptions {
  csid?: number;
  streamId?: number;
  timestamp?: number;
  chunkSize?: number;
  /** Announce this length in the header instead of the payload's own. */
  announcedLength?: number;
}

function basicHeader(fmt: number, csid: number): Buffer {
  if (csid < 64) return Buffer.from([(fmt << 6) | csid]);
  if (csid < 320) return Buffer.from([(fmt << 6) | 0, csid - 64]);
  const id = csid - 64;
  return Buffer.from([(fmt << 6) | 1, id & 0xff, id >> 8]);
}

/** One message as chunks: a format-0 header, then format-3 continuations every chunkSize bytes. */
export function message(type: number, payload: Buffer, opts: ChunkOptions = {}): Buffer {
  const csid = opts.csid ?? (type === TYPE.invoke ? 3 : type === TYPE.setChunkSize ? 2 : type === TYPE.audio ? 4 : 6);
  const chunkSize = opts.chunkSize ?? 128;
  const ts = opts.timestamp ?? 0;
  const extended = ts >= 0xffffff;
  const h = Buffer.alloc(11);
  h.writeUIntBE(extended ? 0xffffff : ts, 0, 3);
  h.writeUIntBE(opts.announcedLength ?? payload.length, 3, 3);
  h[6] = type;
  h.writeUInt32LE(opts.streamId ?? 0, 7);
  const ext = extended ? Buffer.from([ts >>> 24, (ts >> 16) & 0xff, (ts >> 8) & 0xff, ts & 0xff]) : Buffer.alloc(0);
  const parts: Buffer[] = [basicHeader(0, csid), h, ext];
  for (let off = 0; off < payload.length; off += chunkSize) {
    if (off > 0) parts.push(basicHeader(3, csid), ext);
    parts.push(payload.subarray(off, Math.min(payload.length, off + chunkSize)));
  }
  return Buffer.concat(parts);
}

export function setChunkSize(size: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(size >>> 0);
  return message(TYPE.setChunkSize, b, { csid: 2 });
}

export function command(name: string, txn: number, ...args: Amf[]): Buffer {
  return amf0All(name, txn, ...args);
}

// ---- a connection -------------------------------------------------------------

export const C0C1 = () => Buffer.concat([Buffer.from([3]), randomBytes(1536)]);

export class RawRtmp {
  readonly socket: net.Socket;
  closed = false;
  closedAt: number | null = null;
  received = 0;
  private s0s1s2 = Buffer.alloc(0);
  private handshaken: Promise<void>;
  readonly opened: Promise<void>;

  constructor(port: number, opts: { host?: string; localAddress?: string } = {}) {
    this.socket = net.createConnection({ host: opts.host ?? "127.0.0.1", port, localAddress: opts.localAddress });
    this.socket.on("error", () => {});
    this.opened = new Promise((resolve, reject) => {
      this.socket.once("connect", () => resolve());
      this.socket.once("close", () => reject(new Error("closed before connecting")));
    });
    this.opened.catch(() => {});
    this.socket.on("close", () => {
      this.closed = true;
      this.closedAt ??= Date.now();
    });
    this.handshaken = new Promise((resolve) => {
      this.socket.on("data", (d: Buffer) => {
        this.received += d.length;
        if (this.s0s1s2.length < 3073) {
          this.s0s1s2 = Buffer.concat([this.s0s1s2, d]);
          if (this.s0s1s2.length >= 3073) resolve();
        }
      });
    });
  }

  write(buf: Buffer): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.socket.write(buf, () => resolve()));
  }

  /** C0+C1, wait for S0+S1+S2, then C2 (the echo of S1). */
  async handshake(timeoutMs = 5000): Promise<void> {
    await this.opened;
    await this.write(C0C1());
    await Promise.race([this.handshaken, new Promise((_, rej) => setTimeout(() => rej(new Error("no handshake answer")), timeoutMs))]);
    await this.write(this.s0s1s2.subarray(1, 1537));
  }

  /** connect + createStream + publish, as an encoder sends them. */
  async publishCommands(app: string, name: Amf, opts: { tcUrl?: string } = {}): Promise<void> {
    await this.write(message(TYPE.invoke, command("connect", 1, { app, type: "nonprivate", flashVer: "FMLE/3.0", tcUrl: opts.tcUrl ?? `rtmp://127.0.0.1/${app}` })));
    await this.write(message(TYPE.invoke, command("createStream", 2, null)));
    await this.write(message(TYPE.invoke, command("publish", 3, null, name, "live"), { streamId: 1, csid: 8 }));
  }

  /** Resolves when the server closes the connection, or false after `ms`. */
  async closedWithin(ms: number): Promise<boolean> {
    if (this.closed) return true;
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), ms);
      this.socket.once("close", () => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  destroy(): void {
    this.socket.destroy();
  }
}
