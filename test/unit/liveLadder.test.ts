import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { avcCodecFromFlvSequenceHeader, aacCodecFromFlvSequenceHeader, highProfileLevel } from "../../lib/ffmpeg/h264.ts";
import { buildLiveLadder, specToArgs, type SourceInfo } from "../../lib/ffmpeg/liveLadder.ts";
import { parseLadder } from "../../lib/ladder.ts";

const source720: SourceInfo = { width: 1280, height: 720, fps: 30, videoCodec: "avc1.64001f", audioCodec: "mp4a.40.2" };
const build = (source: SourceInfo, ladder: string, seg = 2) =>
  buildLiveLadder({ input: "rtmp://ingest/internal/x", source, ladder: parseLadder(ladder), segmentSeconds: seg, outputDir: (r) => `/m/${r.name}`, segmentPrefix: "p0e1-" });

describe("live ladder command", () => {
  it("is one ffmpeg with one input, decoding once, for every rung no taller than the source", () => {
    const { spec, renditions } = build(source720, "1080p60@6000k|720p30@2500k|480p30@1200k|360p30@800k");
    assert.deepEqual(renditions.map((r) => r.name), ["720p30", "480p30", "360p30"]);
    const args = specToArgs(spec);
    assert.equal(args.filter((a) => a === "-i").length, 1);
    assert.equal(spec.outputs.length, 3);
    assert.equal(args.filter((a) => a === "libx264").length, 3);
  });

  it("scales in a cascade: 720 from the source, 480 from 720, 360 from 480", () => {
    const { spec } = build({ ...source720, width: 1920, height: 1080 }, "720p30@2500k|480p30@1200k|360p30@800k");
    assert.equal(
      spec.filterComplex,
      "[0:v]format=yuv420p,scale=1280:720:flags=bilinear,split=2[t0][c0];[c0]scale=854:480:flags=bilinear,split=2[t1][c1];[c1]scale=640:360:flags=bilinear[t2]",
    );
  });

  it("forces keyframes on segment boundaries and never on scene cuts; zerolatency (no B-frames)", () => {
    const { spec } = build(source720, "720p30@2500k", 1);
    const o = spec.outputs[0].options;
    const val = (flag: string) => o[o.indexOf(flag) + 1];
    assert.equal(val("-force_key_frames"), "expr:gte(t,n_forced*1)");
    assert.equal(val("-sc_threshold"), "0");
    assert.equal(val("-g"), "30");
    assert.equal(val("-tune"), "zerolatency");
    assert.equal(val("-preset"), "veryfast");
    assert.equal(val("-segment_time"), "1");
    assert.equal(val("-c:a"), "copy", "AAC is copied");
  });

  it("re-encodes audio that is not AAC, and maps none when there is none", () => {
    const mp3 = build({ ...source720, audioCodec: "flv-audio-2" }, "360p30@800k");
    assert.deepEqual(mp3.spec.outputs[0].options.slice(mp3.spec.outputs[0].options.indexOf("-c:a"), mp3.spec.outputs[0].options.indexOf("-c:a") + 4), ["-c:a", "aac", "-b:a", "128k"]);
    const silent = build({ ...source720, audioCodec: null }, "360p30@800k");
    assert.ok(!silent.spec.outputs[0].options.includes("0:a:0"));
    assert.equal(silent.renditions[0].codecs, "avc1.64001e");
  });

  it("offers the source as a stream copy, and never upscales", () => {
    const { spec, renditions } = build({ ...source720, width: 854, height: 480 }, "1080p30@6000k|720p30@2500k|480p30@1200k|source");
    assert.deepEqual(renditions.map((r) => r.name), ["source", "480p30"]);
    assert.deepEqual(spec.outputs[0].options.slice(0, 4), ["-map", "0:v:0", "-c:v", "copy"]);
    assert.equal(renditions[0].codecs, "avc1.64001f,mp4a.40.2");
  });

  it("lowers the frame rate per rung after the split", () => {
    const { spec, renditions } = build({ ...source720, width: 1920, height: 1080, fps: 60 }, "1080p60@6000k|720p30@2500k");
    assert.deepEqual(renditions.map((r) => r.fps), [60, 30]);
    assert.match(spec.filterComplex!, /\[t1\]fps=30\[v1\]/);
    assert.ok(spec.outputs[1].options.includes("[v1]"));
  });

  it("puts BANDWIDTH, RESOLUTION and a codec string that matches the level it asks for", () => {
    const { renditions, spec } = build({ ...source720, width: 1920, height: 1080 }, "1080p30@6000k|720p60@4000k|360p30@800k");
    const r1080 = renditions.find((r) => r.height === 1080)!;
    assert.equal(r1080.width, 1920);
    assert.equal(r1080.codecs, "avc1.640028,mp4a.40.2"); // High, level 4.0
    assert.ok(r1080.bandwidth > 6_000_000);
    const o = spec.outputs[0].options;
    assert.equal(o[o.indexOf("-level:v") + 1], "4.0");
    assert.equal(renditions.find((r) => r.height === 360)!.codecs.split(",")[0], "avc1.64001e"); // 3.0
  });

  it("refuses a ladder with no rung for the source", () => {
    assert.throws(() => build({ ...source720, width: 256, height: 144 }, "720p30@2500k"), /No rung/);
  });

  it("takes extra outputs (the WebRTC output will be one)", () => {
    const { spec } = buildLiveLadder({
      input: "x", source: source720, ladder: parseLadder("360p30@800k"), segmentSeconds: 1, outputDir: () => "/m", segmentPrefix: "a-",
      extraOutputs: [{ target: "rtp://127.0.0.1:5004", options: ["-map", "[t0]", "-f", "rtp"] }],
    });
    assert.equal(spec.outputs.at(-1)!.target, "rtp://127.0.0.1:5004");
  });
});

describe("H.264 and AAC codec strings", () => {
  it("picks the smallest High-profile level", () => {
    assert.equal(highProfileLevel(1280, 720, 30, 2675).name, "3.1");
    assert.equal(highProfileLevel(1280, 720, 60, 4280).name, "3.2");
    assert.equal(highProfileLevel(1920, 1080, 60, 6420).name, "4.2");
    assert.equal(highProfileLevel(640, 360, 30, 856).name, "3.0");
  });
  it("reads codec strings from FLV sequence headers", () => {
    const avc = Buffer.from([0x17, 0x00, 0, 0, 0, 0x01, 0x64, 0x00, 0x1f, 0xff]);
    assert.equal(avcCodecFromFlvSequenceHeader(avc), "avc1.64001f");
    assert.equal(avcCodecFromFlvSequenceHeader(Buffer.from([0x17, 0x01, 0, 0, 0])), null);
    assert.equal(aacCodecFromFlvSequenceHeader(Buffer.from([0xaf, 0x00, 0x12, 0x10])), "mp4a.40.2");
    assert.equal(aacCodecFromFlvSequenceHeader(Buffer.from([0x2f, 0x00, 0x12])), null);
  });
});
