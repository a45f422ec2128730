import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { h264StartedNalTypes, h264StartsKeyframe, isRtcp, parseRtpHeader, rewriteRtpHeader, seqDelta, tsDelta } from "../../edge/rtp.ts";

function rtp(payload: number[], o: { pt?: number; seq?: number; ts?: number; ssrc?: number; marker?: boolean; csrc?: number; ext?: number[]; pad?: number } = {}): Buffer {
  const csrc = o.csrc ?? 0;
  const ext = o.ext ? Buffer.concat([Buffer.from([0xbe, 0xde, 0, o.ext.length / 4]), Buffer.from(o.ext)]) : Buffer.alloc(0);
  const h = Buffer.alloc(12 + 4 * csrc);
  h[0] = 0x80 | (o.ext ? 0x10 : 0) | (o.pad ? 0x20 : 0) | csrc;
  h[1] = ((o.marker ? 1 : 0) << 7) | (o.pt ?? 96);
  h.writeUInt16BE(o.seq ?? 1, 2);
  h.writeUInt32BE(o.ts ?? 1000, 4);
  h.writeUInt32BE(o.ssrc ?? 0x11223344, 8);
  const pad = o.pad ? Buffer.concat([Buffer.alloc(o.pad - 1), Buffer.from([o.pad])]) : Buffer.alloc(0);
  return Buffer.concat([h, ext, Buffer.from(payload), pad]);
}

describe("RTP header", () => {
  it("parses the fixed fields", () => {
    const h = parseRtpHeader(rtp([1, 2, 3], { pt: 111, seq: 65535, ts: 0xfffffff0, ssrc: 0xdeadbeef, marker: true }));
    assert.deepEqual(h, { marker: true, payloadType: 111, sequenceNumber: 65535, timestamp: 0xfffffff0, ssrc: 0xdeadbeef, payloadOffset: 12, payloadLength: 3 });
  });

  it("skips CSRCs, the header extension and padding", () => {
    const h = parseRtpHeader(rtp([9, 9], { csrc: 2, ext: [1, 2, 3, 4], pad: 4 }));
    assert.equal(h?.payloadOffset, 12 + 8 + 8);
    assert.equal(h?.payloadLength, 2);
  });

  it("refuses short, non-v2, truncated and RTCP packets", () => {
    assert.equal(parseRtpHeader(Buffer.alloc(11)), null);
    const v1 = rtp([1]);
    v1[0] = 0x40;
    assert.equal(parseRtpHeader(v1), null);
    const truncatedExt = rtp([], { ext: [1, 2, 3, 4] }).subarray(0, 14);
    assert.equal(parseRtpHeader(truncatedExt), null);
    const sr = Buffer.from([0x80, 200, 0, 6, 1, 2, 3, 4, ...new Array(20).fill(0)]);
    assert.equal(isRtcp(sr), true);
    assert.equal(parseRtpHeader(sr), null);
    assert.equal(isRtcp(rtp([1], { pt: 96, marker: true })), false);
  });

  it("rewrites seq, timestamp, SSRC and payload type in place, keeping the marker", () => {
    const p = rtp([7, 7], { pt: 100, marker: true });
    rewriteRtpHeader(p, { sequenceNumber: 70000, timestamp: 2 ** 32 + 5, ssrc: 0xcafebabe, payloadType: 96 });
    const h = parseRtpHeader(p)!;
    assert.equal(h.sequenceNumber, 70000 & 0xffff);
    assert.equal(h.timestamp, 5);
    assert.equal(h.ssrc, 0xcafebabe);
    assert.equal(h.payloadType, 96);
    assert.equal(h.marker, true);
    assert.deepEqual([...p.subarray(12)], [7, 7]);
  });

  it("measures sequence and timestamp distance across wrap-around", () => {
    assert.equal(seqDelta(65535, 0), 1);
    assert.equal(seqDelta(0, 65535), -1);
    assert.equal(seqDelta(100, 100), 0);
    assert.equal(tsDelta(0xffffff00, 0x10), 0x110);
    assert.equal(tsDelta(0x10, 0xffffff00), -0x110);
  });
});

describe("H.264 keyframe detection", () => {
  const nal = (type: number, nri = 3) => (nri << 5) | type;

  it("recognises single-NAL IDR and SPS, not P slices or PPS alone", () => {
    assert.equal(h264StartsKeyframe(rtp([nal(5), 0x88])), true);
    assert.equal(h264StartsKeyframe(rtp([nal(7), 0x42, 0xe0, 0x1f])), true);
    assert.equal(h264StartsKeyframe(rtp([nal(1), 0x9a])), false);
    assert.equal(h264StartsKeyframe(rtp([nal(8), 0xce])), false);
    assert.equal(h264StartsKeyframe(rtp([nal(6), 5])), false);
  });

  it("looks inside STAP-A aggregates", () => {
    const stap = [nal(24), 0, 3, nal(7), 0x42, 0xe0, 0, 2, nal(8), 0xce, 0, 2, nal(5), 0x88];
    assert.deepEqual(h264StartedNalTypes(Buffer.from(stap)), [7, 8, 5]);
    assert.equal(h264StartsKeyframe(rtp(stap)), true);
    assert.equal(h264StartsKeyframe(rtp([nal(24), 0, 2, nal(6), 1, 0, 2, nal(1), 1])), false);
    // A size running past the end stops parsing instead of reading garbage.
    assert.deepEqual(h264StartedNalTypes(Buffer.from([nal(24), 0, 9, nal(5)])), []);
  });

  it("counts FU-A only on the start fragment of an IDR", () => {
    assert.equal(h264StartsKeyframe(rtp([nal(28), 0x80 | 5, 0x88])), true);
    assert.equal(h264StartsKeyframe(rtp([nal(28), 5, 0x11])), false); // middle
    assert.equal(h264StartsKeyframe(rtp([nal(28), 0x40 | 5, 0x11])), false); // end
    assert.equal(h264StartsKeyframe(rtp([nal(28), 0x80 | 1, 0x11])), false); // P-slice start
  });

  it("ignores empty payloads and non-RTP input", () => {
    assert.equal(h264StartsKeyframe(rtp([])), false);
    assert.equal(h264StartsKeyframe(Buffer.from([1, 2, 3])), false);
  });
});
