import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import { RtmpGuard, UNVERIFIED_LIMITS, VERIFIED_LIMITS, checkAmf0 } from "../../ingest/rtmpGuard.ts";
import { C0C1, TYPE, amf0, amf0All, command, message, setChunkSize } from "../support/rtmpRaw.ts";

const require = createRequire(import.meta.url);
const NmsRtmp = require("node-media-server/src/protocol/rtmp.js");

const handshake = () => Buffer.concat([C0C1(), Buffer.alloc(1536, 7)]);

function encoderStream(chunkSize = 4096): Buffer {
  const video = Buffer.alloc(30_000, 0x17);
  return Buffer.concat([
    handshake(),
    setChunkSize(chunkSize),
    message(TYPE.invoke, command("connect", 1, { app: "live", type: "nonprivate", tcUrl: "rtmp://127.0.0.1/live" }), { chunkSize }),
    message(TYPE.invoke, command("createStream", 2, null), { chunkSize }),
    message(TYPE.invoke, command("publish", 3, null, "lh_live_abc", "live"), { csid: 8, streamId: 1, chunkSize }),
    message(TYPE.data, amf0All("@setDataFrame", "onMetaData", { ecma: { width: 1280, height: 720, framerate: 30 } }), { csid: 4, streamId: 1, chunkSize }),
    message(TYPE.video, video, { streamId: 1, chunkSize, timestamp: 40 }),
    // A timestamp past 0xffffff: an extended timestamp in the header and in every continuation.
    message(TYPE.video, video, { streamId: 1, chunkSize, timestamp: 0x1234567 }),
    message(TYPE.invoke, command("FCUnpublish", 4, null, "x"), { chunkSize }),
  ]);
}

/** Feeds a buffer in pieces of random sizes; returns the first refusal. */
function feedSplit(guard: RtmpGuard, buf: Buffer, seed = 1): string | null {
  let x = seed;
  for (let i = 0; i < buf.length; ) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    const n = 1 + (x % 700);
    const v = guard.feed(buf.subarray(i, i + n));
    if (!v.ok) return v.reason;
    i += n;
  }
  return null;
}

describe("RTMP guard", () => {
  it("passes an encoder's stream, however it is split, framing it as node-media-server does", () => {
    for (const chunkSize of [128, 4096, 60_000]) {
      for (const seed of [1, 2, 3]) {
        const guard = new RtmpGuard();
        const stream = encoderStream(chunkSize);
        assert.equal(feedSplit(guard, stream, seed), null);
        assert.deepEqual(guard.commands, ["connect", "createStream", "publish", "FCUnpublish"]);
      }
    }
    // NMS reads the same bytes into the same commands (the guard's framing is its framing).
    const nms = new NmsRtmp();
    const seen: string[] = [];
    nms.onOutputCallback = () => {};
    nms.onConnectCallback = () => seen.push("connect");
    nms.onPushCallback = () => seen.push("publish");
    nms.onPlayCallback = () => seen.push("play");
    nms.onPacketCallback = (p: { codec_type: number }) => seen.push(`packet ${p.codec_type}`);
    assert.equal(nms.parserData(encoderStream(4096)), null);
    assert.deepEqual(seen.filter((s) => !s.startsWith("packet 18")), ["connect", "publish", "packet 9", "packet 9"]);
  });

  it("refuses the allocation attack: chunk size 1, then many chunk streams announcing 16 MB each", () => {
    const guard = new RtmpGuard();
    const parts: Buffer[] = [handshake(), setChunkSize(1)];
    for (let csid = 3; csid < 60; csid++) parts.push(message(TYPE.video, Buffer.alloc(1), { csid, announcedLength: 0xffffff, chunkSize: 1 }));
    const reason = feedSplit(guard, Buffer.concat(parts));
    assert.match(reason ?? "", /media message of 16777215 bytes/);
    // Within the media limit per message, the chunk-stream count and the total announced are capped.
    const g2 = new RtmpGuard();
    const p2: Buffer[] = [handshake(), setChunkSize(1)];
    for (let csid = 3; csid < 60; csid++) p2.push(message(TYPE.video, Buffer.alloc(1), { csid, announcedLength: 1 << 20, chunkSize: 1 }));
    assert.match(feedSplit(g2, Buffer.concat(p2)) ?? "", /too many chunk streams|announced/);
  });

  it("refuses commands larger than a few KB before the publish is verified, and larger ones only after", () => {
    const big = message(TYPE.invoke, command("connect", 1, { app: "live", pad: "x".repeat(20_000) }), { chunkSize: 128 });
    const before = new RtmpGuard();
    assert.match(feedSplit(before, Buffer.concat([handshake(), big])) ?? "", /type 20 message of \d+ bytes \(limit 8192\)/);
    const after = new RtmpGuard();
    after.relax(VERIFIED_LIMITS);
    assert.equal(feedSplit(after, Buffer.concat([handshake(), big])), null);
  });

  it("refuses a 16 MB AMF message at its header, before any of it arrives", () => {
    const guard = new RtmpGuard();
    const header = message(TYPE.invoke, Buffer.alloc(10), { announcedLength: 0xffffff }).subarray(0, 12);
    assert.match(feedSplit(guard, Buffer.concat([handshake(), header])) ?? "", /type 20 message of 16777215 bytes/);
  });

  it("refuses a chunk size of 0 and a short chunk-size message", () => {
    assert.match(feedSplit(new RtmpGuard(), Buffer.concat([handshake(), setChunkSize(0)])) ?? "", /chunk size 0 is not allowed/);
    assert.match(feedSplit(new RtmpGuard(), Buffer.concat([handshake(), message(TYPE.setChunkSize, Buffer.alloc(2), { csid: 2 })])) ?? "", /too short/);
  });

  it("refuses what is not RTMP, and a header that changes mid-message", () => {
    assert.match(feedSplit(new RtmpGuard(), Buffer.from("GET / HTTP/1.1\r\n\r\n")) ?? "", /not RTMP/);
    const first = message(TYPE.invoke, command("connect", 1, { app: "live", pad: "y".repeat(300) }), { chunkSize: 128 }).subarray(0, 12 + 128);
    const hijack = message(TYPE.invoke, Buffer.alloc(4000), { chunkSize: 4096 });
    assert.match(feedSplit(new RtmpGuard(), Buffer.concat([handshake(), first, hijack])) ?? "", /changed in the middle/);
  });

  it("keeps saying no once it said no", () => {
    const g = new RtmpGuard();
    assert.equal(g.feed(Buffer.from([6])).ok, false);
    assert.equal(g.feed(handshake()).ok, false);
  });
});

describe("AMF0 check", () => {
  const L = UNVERIFIED_LIMITS;
  it("accepts what encoders send", () => {
    const r = checkAmf0(amf0All("connect", 1, { app: "live", nested: { a: [1, "b", null, true] }, e: { ecma: { w: 1 } } }), L);
    assert.deepEqual(r, { ok: true, firstString: "connect" });
  });
  it("refuses deep nesting, huge arrays, truncation and unknown types", () => {
    let deep: any = 1;
    for (let i = 0; i < 50; i++) deep = { d: deep };
    assert.match((checkAmf0(amf0(deep), L) as any).reason, /nested deeper/);
    const nulls = Buffer.concat([Buffer.from([0x0a, 0, 0, 0x10, 0]), Buffer.alloc(4096, 0x05)]);
    assert.match((checkAmf0(nulls, L) as any).reason, /array of 4096 entries/);
    // An array that claims millions of entries is refused from its count, without walking it.
    const claim = Buffer.from([0x0a, 0x00, 0xff, 0xff, 0xff, 0x05]);
    assert.match((checkAmf0(claim, VERIFIED_LIMITS) as any).reason, /array of 16777215 entries/);
    assert.match((checkAmf0(amf0("hello").subarray(0, 4), L) as any).reason, /string longer/);
    assert.match((checkAmf0(Buffer.from([0x11, 0x01]), L) as any).reason, /type 0x11 is not accepted/);
    const manyKeys: Record<string, number> = {};
    for (let i = 0; i < 300; i++) manyKeys[`k${i}`] = i;
    assert.match((checkAmf0(amf0(manyKeys), L) as any).reason, /more than 256 entries/);
  });
});
