// What a stranger on the RTMP port can send, one function per attack, for the
// fuzz suite (test/live/ingest-fuzz.test.ts) and bench:ingest-abuse. Each
// attack opens its own connections from a loopback source address of its own
// and resolves once the connections are closed (by ingest) or given up on.
import { RawRtmp, TYPE, amf0, command, message, setChunkSize } from "./rtmpRaw.ts";

export interface AttackResult {
  connections: number;
  /** Connections ingest closed within the wait. */
  closed: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function settle(conns: RawRtmp[], waitMs: number): Promise<AttackResult> {
  await Promise.all(conns.map((c) => c.closedWithin(waitMs)));
  const closed = conns.filter((c) => c.closed).length;
  for (const c of conns) c.destroy();
  return { connections: conns.length, closed };
}

/** Chunk size 1, then chunk streams each announcing a 16 MB message with one byte sent. */
export async function allocationAttack(port: number, localAddress: string, opts: { connections?: number; chunkStreams?: number } = {}): Promise<AttackResult> {
  const conns: RawRtmp[] = [];
  for (let i = 0; i < (opts.connections ?? 3); i++) {
    const c = new RawRtmp(port, { localAddress });
    conns.push(c);
    try {
      await c.handshake();
      const parts = [setChunkSize(1)];
      for (let csid = 3; csid < 3 + (opts.chunkStreams ?? 300); csid++) parts.push(message(TYPE.video, Buffer.alloc(1), { csid, announcedLength: 0xffffff, chunkSize: 1 }));
      await c.write(Buffer.concat(parts));
    } catch {}
  }
  return settle(conns, 5000);
}

/** One 16 MB AMF0 message (a strict array of nulls) before connect. */
export async function hugeAmfAttack(port: number, localAddress: string, opts: { connections?: number } = {}): Promise<AttackResult> {
  const conns: RawRtmp[] = [];
  const count = (16 << 20) - 16;
  const head = Buffer.alloc(5);
  head[0] = 0x0a;
  head.writeUInt32BE(count, 1);
  for (let i = 0; i < (opts.connections ?? 2); i++) {
    const c = new RawRtmp(port, { localAddress });
    conns.push(c);
    try {
      await c.handshake();
      const payload = Buffer.concat([amf0("connect"), amf0(1), head, Buffer.alloc(256 * 1024, 0x05)]);
      // The header announces the whole 16 MB; the first 256 KB of it follow (ingest should not wait for more).
      await c.write(message(TYPE.invoke, payload, { announcedLength: 0xffffff, chunkSize: 128 }));
    } catch {}
  }
  return settle(conns, 5000);
}

/** Deeply nested AMF objects and an array claiming millions of entries, within the size limit. */
export async function hostileAmfAttack(port: number, localAddress: string): Promise<AttackResult> {
  const conns: RawRtmp[] = [];
  const longString = Buffer.concat([amf0("connect"), amf0(1), Buffer.from([0x0c, 0xff, 0xff, 0xff, 0xff, 0x41])]);
  // 0x03 then a one-letter key per level: 1000 levels of objects in 4 KB.
  const nest: Buffer[] = [amf0("connect"), amf0(1)];
  for (let i = 0; i < 1000; i++) nest.push(Buffer.from([0x03, 0x00, 0x01, 0x61]));
  const claims = Buffer.concat([amf0("connect"), amf0(1), Buffer.from([0x0a, 0x7f, 0xff, 0xff, 0xff, 0x05, 0x05])]);
  for (const payload of [Buffer.concat(nest), claims, longString]) {
    const c = new RawRtmp(port, { localAddress });
    conns.push(c);
    try {
      await c.handshake();
      await c.write(message(TYPE.invoke, payload, { chunkSize: 128 }));
    } catch {}
  }
  return settle(conns, 5000);
}

/** Many connections that send one byte every `everyMs`: the slow-loris of RTMP. */
export async function trickleAttack(port: number, localAddress: string, opts: { connections?: number; everyMs?: number; durationMs?: number } = {}): Promise<AttackResult> {
  const conns: RawRtmp[] = [];
  for (let i = 0; i < (opts.connections ?? 50); i++) conns.push(new RawRtmp(port, { localAddress }));
  await Promise.all(conns.map((c) => c.opened.catch(() => {})));
  const bytes = Buffer.concat([Buffer.from([3]), Buffer.alloc(1536, 1)]);
  const until = Date.now() + (opts.durationMs ?? 6000);
  for (let i = 0; Date.now() < until && conns.some((c) => !c.closed); i++) {
    for (const c of conns) if (!c.closed) void c.write(bytes.subarray(i % bytes.length, (i % bytes.length) + 1));
    await sleep(opts.everyMs ?? 2000);
  }
  return settle(conns, 100);
}

/** A handshake, then a chunk size of 0 and a trickle of chunk headers. */
export async function zeroChunkSizeAttack(port: number, localAddress: string): Promise<AttackResult> {
  const c = new RawRtmp(port, { localAddress });
  try {
    await c.handshake();
    await c.write(setChunkSize(0));
    await c.write(message(TYPE.invoke, command("connect", 1, { app: "live" })).subarray(0, 20));
  } catch {}
  return settle([c], 5000);
}

/** Protocol oddities: truncated messages, unknown types, extended timestamps, odd stream names, plays. */
export async function oddMessagesAttack(port: number, localAddress: string, targets: { partId: string; sessionId: string }): Promise<AttackResult> {
  const scripts: ((c: RawRtmp) => Promise<void>)[] = [
    // Truncated: announces 300 bytes, sends 100, then goes quiet.
    async (c) => void (await c.write(message(TYPE.invoke, Buffer.alloc(300, 0x05)).subarray(0, 100))),
    // Unknown message types, then a connect with an extended timestamp.
    async (c) => {
      await c.write(message(0x42, Buffer.alloc(64, 1), { csid: 5 }));
      await c.write(message(TYPE.invoke, command("connect", 1, { app: "live", tcUrl: "rtmp://127.0.0.1/live" }), { timestamp: 0x1000000 }));
    },
    // A stream name that is a number, an object, and one of 6 KB.
    async (c) => c.publishCommands("live", 42),
    async (c) => c.publishCommands("live", { name: "x" }),
    async (c) => c.publishCommands("live", "n".repeat(6000)),
    // Publishing under another stream's internal names (a part id, a session id), in other applications.
    async (c) => c.publishCommands("internal", targets.partId),
    async (c) => c.publishCommands("pending", targets.sessionId),
    async (c) => c.publishCommands("live", targets.partId),
    // Playing other streams.
    async (c) => {
      await c.write(message(TYPE.invoke, command("connect", 1, { app: "live", tcUrl: "rtmp://127.0.0.1/live" })));
      await c.write(message(TYPE.invoke, command("createStream", 2, null)));
      await c.write(message(TYPE.invoke, command("play", 3, null, targets.partId), { streamId: 1, csid: 8 }));
    },
    async (c) => {
      await c.write(message(TYPE.invoke, command("connect", 1, { app: "internal", tcUrl: "rtmp://127.0.0.1/internal" })));
      await c.write(message(TYPE.invoke, command("createStream", 2, null)));
      await c.write(message(TYPE.invoke, command("play", 3, null, targets.sessionId), { streamId: 1, csid: 8 }));
    },
  ];
  const conns: RawRtmp[] = [];
  for (const script of scripts) {
    const c = new RawRtmp(port, { localAddress });
    conns.push(c);
    try {
      await c.handshake();
      await script(c);
    } catch {}
  }
  // Everything here is refused or dropped by the deadline (INGEST_HANDSHAKE_TIMEOUT_SECONDS).
  return settle(conns, 15_000);
}
