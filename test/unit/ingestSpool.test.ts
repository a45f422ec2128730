import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { flvTag, retimedTag, scanTags, tagTimestamp } from "../../ingest/flvTags.ts";
import type { NmsPacket } from "../../ingest/nms.ts";
import { avcDimensionsFromFlvSequenceHeader, judgeSource, type ObservedSource } from "../../ingest/sourceCheck.ts";
import { keyframeAtOrBefore, type KeyframeEntry } from "../../ingest/spool.ts";
import { PublisherStats } from "../../ingest/stats.ts";

const AVC_HEADER_320x240 = Buffer.from("17000000000142c00dffe100166742c00dda0507ec0440000003004000000f03c50aa801000468ce0fc8", "hex");
const AVC_HEADER_720x1280 = Buffer.from("17000000000142c01fffe100176742c01fda02d0286c0440000003004000000f03c60ca801000468ce0fc8", "hex");
const packet = (codec_type: number, flags: number, dts: number, data: Buffer): NmsPacket => ({ codec_type, codec_id: 7, flags, dts, pts: dts, size: data.length, data });

describe("spool FLV tags", () => {
  it("frames messages as FLV tags that scan back with type, time, keyframe and header flags", () => {
    const tags = Buffer.concat([
      flvTag(packet(9, 2, 0, AVC_HEADER_320x240)),
      flvTag(packet(9, 3, 21, Buffer.from([0x17, 0x01, 0, 0, 0, 1, 2, 3]))),
      flvTag(packet(8, 1, 44, Buffer.from([0xaf, 0x01, 9, 9]))),
      flvTag(packet(9, 4, 0x01020304, Buffer.from([0x27, 0x01, 0, 0, 0, 4]))),
    ]);
    const scanned = scanTags(tags);
    assert.deepEqual(scanned.map((t) => [t.type, t.dts, t.keyframe, t.codecHeader]), [
      [9, 0, false, true],
      [9, 21, true, false],
      [8, 44, false, false],
      [9, 0x01020304, false, false],
    ]);
    assert.equal(scanTags(tags.subarray(0, tags.length - 3)).length, 3, "a torn last tag is not read");
  });

  it("re-times a tag (codec headers sent ahead of a later keyframe) and writes metadata as in a file", () => {
    const tag = flvTag(packet(9, 2, 0, AVC_HEADER_320x240));
    assert.equal(tagTimestamp(retimedTag(tag, 0x7f123456)), 0x7f123456);
    assert.equal(tagTimestamp(tag), 0, "the original is untouched");
    const onMetaData = Buffer.concat([Buffer.from([0x02, 0x00, 0x0a]), Buffer.from("onMetaData"), Buffer.from([0x03, 0, 0, 9])]);
    const setDataFrame = Buffer.concat([Buffer.from([0x02, 0x00, 0x0d]), Buffer.from("@setDataFrame"), onMetaData]);
    const meta = flvTag({ ...packet(18, 5, 0, setDataFrame), codec_id: 0 });
    assert.deepEqual(meta.subarray(11, 11 + onMetaData.length), onMetaData);
  });

  it("finds the last keyframe at or before a position", () => {
    const index: KeyframeEntry[] = [21, 1021, 2021, 3021].map((dts, i) => ({ dts, chunk: i, offset: 0, headers: { metadata: null, video: null, audio: null } }));
    assert.equal(keyframeAtOrBefore(index, 2500)?.dts, 2021);
    assert.equal(keyframeAtOrBefore(index, 2021)?.dts, 2021);
    assert.equal(keyframeAtOrBefore(index, 5)?.dts, 21, "before the first: the first");
    assert.equal(keyframeAtOrBefore(index, 99_999)?.dts, 3021);
    assert.equal(keyframeAtOrBefore([], 10), null);
  });
});

describe("source check", () => {
  const src = (o: Partial<ObservedSource>): ObservedSource => ({ videoCodecId: null, enhancedVideo: false, avcHeader: false, audioCodecId: null, waitedSeconds: 0, ...o });
  it("accepts H.264 with its decoder configuration, waits for it, and refuses what cannot be transcoded with the reason", () => {
    assert.deepEqual(judgeSource(src({ videoCodecId: 7, avcHeader: true, audioCodecId: 10 }), 10), { ok: true });
    assert.deepEqual(judgeSource(src({ videoCodecId: 7, waitedSeconds: 1 }), 10), { ok: "wait" });
    const vp6 = judgeSource(src({ videoCodecId: 4 }), 10);
    assert.ok(vp6.ok === false && /On2 VP6 is not supported.*H\.264/.test(vp6.reason), JSON.stringify(vp6));
    const none = judgeSource(src({ audioCodecId: 10, waitedSeconds: 10 }), 10);
    assert.ok(none.ok === false && /no video/.test(none.reason));
    const enhanced = judgeSource(src({ videoCodecId: 12, enhancedVideo: true }), 10);
    assert.ok(enhanced.ok === false && /HEVC/.test(enhanced.reason));
    const speex = judgeSource(src({ videoCodecId: 7, avcHeader: true, audioCodecId: 11 }), 10);
    assert.ok(speex.ok === false && /Speex/.test(speex.reason));
  });

  it("reads the picture size from the SPS when the encoder sends no metadata", () => {
    assert.deepEqual(avcDimensionsFromFlvSequenceHeader(AVC_HEADER_320x240), { width: 320, height: 240 });
    assert.deepEqual(avcDimensionsFromFlvSequenceHeader(AVC_HEADER_720x1280), { width: 720, height: 1280 });
    assert.equal(avcDimensionsFromFlvSequenceHeader(Buffer.from([0x17, 0x01, 0, 0, 0])), null);
  });
});

describe("publisher stats", () => {
  it("measures how fast the encoder sends media against the wall clock", () => {
    const stats = new PublisherStats();
    const t0 = 1_000_000;
    let dts = 0;
    for (let s = 0; s <= 6; s++) {
      // 0.8 s of media per wall second: an encoder that cannot keep up
      for (let f = 0; f < 24; f++) stats.onPacket(packet(9, f === 0 ? 3 : 4, (dts += 1000 / 30), Buffer.alloc(10)));
      const snap = stats.snapshot(s * 100_000, t0 + s * 1000);
      if (s === 6) assert.ok(Math.abs(snap.sendSpeed! - 0.8) < 0.02, `sendSpeed ${snap.sendSpeed}`);
      if (s < 4) assert.equal(snap.sendSpeed, null, "not before a few seconds");
    }
  });
});
