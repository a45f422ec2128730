import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { aacCodecFromFlvSequenceHeader, aacConfigFromFlvSequenceHeader, avcCodecFromFlvSequenceHeader, highProfileLevel } from "../../lib/ffmpeg/h264.ts";
import { buildLiveLadder, forceKeyFramesExpr, type LiveLadderOptions, type SourceInfo } from "../../lib/ffmpeg/liveLadder.ts";
import { specToArgs } from "../../lib/ffmpeg/spec.ts";
import { parseLadder } from "../../lib/ladder.ts";

const aac48 = { audioCodec: "mp4a.40.2", audioSampleRate: 48000, audioChannels: 2 };
const source720: SourceInfo = { width: 1280, height: 720, fps: 30, videoCodec: "avc1.64001f", ...aac48 };
const DEFAULT_LADDER = "1080p30@6000k|720p30@2500k|480p30@1200k|360p30@800k";
const build = (source: SourceInfo, ladder: string, seg = 2, more: Partial<LiveLadderOptions> = {}) =>
  buildLiveLadder({ input: "http://ingest:1936/spool/x.flv", source, ladder: parseLadder(ladder), segmentSeconds: seg, outputDir: (r) => `/m/${r.name}`, segmentPrefix: "p0e1-", ...more });
const option = (o: string[], flag: string) => (o.includes(flag) ? o[o.indexOf(flag) + 1] : undefined);

describe("live ladder command", () => {
  it("is one ffmpeg with one input, decoding once, for every rung that fits the source", () => {
    const { spec, renditions } = build(source720, DEFAULT_LADDER);
    assert.deepEqual(renditions.map((r) => r.name), ["720p30", "480p30", "360p30"]);
    const args = specToArgs(spec);
    assert.equal(args.filter((a) => a === "-i").length, 1);
    assert.equal(spec.outputs.length, 3);
    assert.equal(args.filter((a) => a === "libx264").length, 3);
  });

  it("scales in a cascade (720 from the source, 480 from 720, 360 from 480) and makes every rung constant-rate", () => {
    const { spec } = build({ ...source720, width: 1920, height: 1080 }, "720p30@2500k|480p30@1200k|360p30@800k");
    assert.equal(
      spec.filterComplex,
      "[0:v]scale=1280:720:flags=bilinear,format=yuv420p,split=2[t0][c0];[t0]fps=30[v0];" +
        "[c0]scale=854:480:flags=bilinear,split=2[t1][c1];[t1]fps=30[v1];" +
        "[c1]scale=640:360:flags=bilinear,fps=30[v2]",
    );
    assert.deepEqual(spec.outputs.map((o) => option(o.options, "-map")), ["[v0]", "[v1]", "[v2]"]);
  });

  it("still scales the top rung at the source's size, so a mid-stream size change cannot reach the encoder", () => {
    const { spec } = build(source720, "720p30@2500k");
    assert.equal(spec.filterComplex, "[0:v]scale=1280:720:flags=bilinear,format=yuv420p,fps=30[v0]");
  });

  it("encodes a portrait source by its short side: 720x1280, 480x854, 360x640, under the rungs' names", () => {
    const { renditions, spec } = build({ ...source720, width: 720, height: 1280 }, DEFAULT_LADDER);
    assert.deepEqual(renditions.map((r) => `${r.name} ${r.width}x${r.height}`), ["720p30 720x1280", "480p30 480x854", "360p30 360x640"]);
    assert.match(spec.filterComplex!, /^\[0:v\]scale=720:1280:/);
    assert.equal(renditions[0].codecs, "avc1.64001f,mp4a.40.2"); // 3.1, like landscape 720p30
  });

  it("gives a source smaller than every rung one rendition at its own size instead of failing", () => {
    const { renditions, spec } = build({ ...source720, width: 320, height: 240, fps: 15 }, DEFAULT_LADDER);
    assert.deepEqual(renditions.map((r) => [r.name, r.width, r.height, r.fps, r.videoKbps]), [["240p15", 320, 240, 15, 356]]);
    assert.equal(spec.filterComplex, "[0:v]scale=320:240:flags=bilinear,format=yuv420p,fps=15[v0]");
    assert.equal(option(spec.outputs[0].options, "-g"), "60");
  });

  it("forces keyframes on segment boundaries, never on scene cuts, and keeps x264 from adding its own", () => {
    const { spec } = build(source720, "720p30@2500k", 1);
    const o = spec.outputs[0].options;
    assert.equal(option(o, "-force_key_frames"), "expr:if(isnan(prev_forced_t),1,gte(t+0.0001,(floor((prev_forced_t+0.0001)/1)+1)*1))");
    assert.equal(option(o, "-sc_threshold"), "0");
    assert.equal(option(o, "-g"), "60", "twice the segment");
    assert.equal(option(o, "-keyint_min"), "30");
    assert.equal(option(o, "-segment_time"), "1");
  });

  it("counts keyframe times from the input's start, on the rung's frame grid", () => {
    const { spec } = build(source720, "720p30@2500k", 2, { inputStartSeconds: 4.5 });
    assert.equal(
      option(spec.outputs[0].options, "-force_key_frames"),
      "expr:if(isnan(prev_forced_t),1,gte(t+135/30+0.0001,(floor((prev_forced_t+135/30+0.0001)/2)+1)*2))",
    );
    // fps= puts the first frame on the nearest 1/fps slot: 10.01 s at 15 fps is slot 150.
    assert.match(forceKeyFramesExpr(15, 2, 10.01), /t\+150\/15\+/);
  });

  it("encodes with frame threads, no B-frames and no lookahead (not zerolatency's sliced threads)", () => {
    const { spec } = build(source720, "720p30@2500k");
    const o = spec.outputs[0].options;
    assert.equal(option(o, "-tune"), undefined);
    assert.equal(option(o, "-bf"), "0");
    assert.equal(option(o, "-x264-params"), "rc-lookahead=0:sync-lookahead=0");
    assert.equal(option(o, "-preset"), "veryfast");
    assert.equal(option(o, "-profile:v"), "high");
    assert.equal(option(o, "-maxrate"), "2675k");
    assert.equal(option(o, "-bufsize"), "5000k");
    assert.equal(option(build(source720, "720p30@2500k", 2, { x264Preset: "ultrafast" }).spec.outputs[0].options, "-preset"), "ultrafast");
  });

  it("puts stats, filter threads and the input's options where ffmpeg expects them", () => {
    const { spec } = build(source720, "720p30@2500k", 2, { inputFormat: "flv", filterThreads: 1, readTimeoutSeconds: 5 });
    assert.deepEqual(spec.globalOptions, ["-hide_banner", "-stats_period", "1", "-filter_complex_threads", "1"]);
    assert.ok(!specToArgs(spec).includes("-nostats"), "the runner reads the stats lines");
    assert.equal(spec.inputs.length, 1);
    assert.equal(spec.inputs[0].source, "http://ingest:1936/spool/x.flv");
    assert.deepEqual(spec.inputs[0].options, ["-f", "flv", "-copyts", "-analyzeduration", "300000", "-probesize", "500000", "-rw_timeout", "5000000"]);
    const defaults = build(source720, "720p30@2500k").spec;
    assert.equal(option(defaults.globalOptions, "-filter_complex_threads"), "2");
    assert.equal(option(defaults.inputs[0].options, "-rw_timeout"), "40000000");
    assert.ok(!defaults.inputs[0].options.includes("-f"));
  });

  it("lowers the frame rate per rung after the split: 60 only where a rung asks for it", () => {
    const { spec, renditions } = build({ ...source720, width: 1920, height: 1080, fps: 59.94 }, "1080p60@6000k|720p30@2500k|480p60@1500k");
    assert.deepEqual(renditions.map((r) => r.fps), [60, 30, 60]);
    assert.match(spec.filterComplex!, /\[t0\]fps=60\[v0\]/);
    assert.match(spec.filterComplex!, /\[t1\]fps=30\[v1\]/);
    assert.match(spec.filterComplex!, /\[c1\]scale=854:480:flags=bilinear,fps=60\[v2\]$/, "480p60 scales from full-rate 720 frames");
    assert.deepEqual(spec.outputs.map((o) => option(o.options, "-g")), ["240", "120", "240"]);
    assert.deepEqual(build({ ...source720, fps: 14.99 }, "720p30@2500k").renditions.map((r) => r.fps), [15]);
    assert.deepEqual(build({ ...source720, fps: 0 }, "720p30@2500k").renditions.map((r) => r.fps), [30]);
  });
});

describe("live ladder audio", () => {
  const audioOf = (source: SourceInfo) => {
    const { spec, renditions } = build(source, "360p30@800k|source");
    const o = spec.outputs[1].options;
    return { o, codecs: renditions.map((r) => r.codecs.split(",")[1]) };
  };
  const REENCODE = ["-map", "0:a:0", "-af", "aresample=async=1,atrim=start=0.025", "-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2"];

  it("copies AAC-LC at 48 kHz stereo", () => {
    const { o, codecs } = audioOf(source720);
    assert.deepEqual(o.slice(o.indexOf("0:a:0") - 1, o.indexOf("0:a:0") + 3), ["-map", "0:a:0", "-c:a", "copy"]);
    assert.deepEqual(codecs, ["mp4a.40.2", "mp4a.40.2"]);
  });

  const reencoded: [string, Partial<SourceInfo>][] = [
    ["HE-AAC", { audioCodec: "mp4a.40.5" }],
    ["44.1 kHz", { audioSampleRate: 44100 }],
    ["22.05 kHz mono", { audioSampleRate: 22050, audioChannels: 1 }],
    ["mono", { audioChannels: 1 }],
    ["MP3", { audioCodec: "flv-audio-2" }],
    ["an unknown rate", { audioSampleRate: null }],
    ["unknown rate and channels", { audioSampleRate: undefined, audioChannels: undefined }],
  ];
  for (const [what, change] of reencoded) {
    it(`re-encodes ${what} to AAC-LC 48 kHz stereo, in every output, and says mp4a.40.2`, () => {
      const { spec, renditions } = build({ ...source720, ...change }, "360p30@800k|source");
      for (const out of spec.outputs) {
        const o = out.options;
        assert.deepEqual(o.slice(o.indexOf("0:a:0") - 1, o.indexOf("0:a:0") + REENCODE.length - 1), REENCODE);
      }
      assert.deepEqual(renditions.map((r) => r.codecs.split(",")[1]), ["mp4a.40.2", "mp4a.40.2"]);
    });
  }

  it("maps no audio when there is none", () => {
    const silent = build({ ...source720, audioCodec: null, audioSampleRate: null, audioChannels: null }, "360p30@800k");
    assert.ok(!silent.spec.outputs[0].options.includes("0:a:0"));
    assert.ok(!silent.spec.outputs[0].options.includes("-c:a"));
    assert.equal(silent.renditions[0].codecs, "avc1.64001e");
    assert.equal(silent.renditions[0].audioKbps, 0);
  });
});

describe("live ladder renditions", () => {
  it("offers the source as a stream copy, and never upscales", () => {
    const { spec, renditions } = build({ ...source720, width: 854, height: 480 }, "1080p30@6000k|720p30@2500k|480p30@1200k|source");
    assert.deepEqual(renditions.map((r) => r.name), ["source", "480p30"]);
    assert.deepEqual(spec.outputs[0].options.slice(0, 4), ["-map", "0:v:0", "-c:v", "copy"]);
    assert.equal(renditions[0].codecs, "avc1.64001f,mp4a.40.2");
  });

  it("puts BANDWIDTH, RESOLUTION and a codec string that matches the level it asks for", () => {
    const { renditions, spec } = build({ ...source720, width: 1920, height: 1080 }, "1080p30@6000k|720p60@4000k|360p30@800k");
    const r1080 = renditions.find((r) => r.height === 1080)!;
    assert.equal(r1080.width, 1920);
    assert.equal(r1080.codecs, "avc1.640028,mp4a.40.2"); // High, level 4.0
    assert.ok(r1080.bandwidth > 6_000_000);
    assert.equal(option(spec.outputs[0].options, "-level:v"), "4.0");
    assert.equal(renditions.find((r) => r.height === 360)!.codecs.split(",")[0], "avc1.64001e"); // 3.0
  });

  it("never fails for a small source, and still refuses a ladder with nothing in it", () => {
    assert.deepEqual(build({ ...source720, width: 256, height: 144 }, "720p30@2500k").renditions.map((r) => r.name), ["144p30"]);
    assert.throws(
      () => buildLiveLadder({ input: "x", source: source720, ladder: { rungs: [], passthrough: false }, segmentSeconds: 2, outputDir: () => "/m", segmentPrefix: "a-" }),
      /neither rungs nor "source"/,
    );
  });

  it("takes extra outputs (the WebRTC output will be one)", () => {
    const { spec } = buildLiveLadder({
      input: "x", source: source720, ladder: parseLadder("360p30@800k"), segmentSeconds: 1, outputDir: () => "/m", segmentPrefix: "a-",
      extraOutputs: [{ target: "rtp://127.0.0.1:5004", options: ["-map", "0:v:0", "-c:v", "copy", "-f", "rtp"] }],
    });
    assert.equal(spec.outputs.at(-1)!.target, "rtp://127.0.0.1:5004");
  });
});

describe("H.264 and AAC codec strings", () => {
  it("picks the smallest High-profile level", () => {
    assert.equal(highProfileLevel(1280, 720, 30, 2675).name, "3.1");
    assert.equal(highProfileLevel(720, 1280, 30, 2675).name, "3.1");
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

  // Tag bodies of FLV files written by ffmpeg 5.1 (`-c:a aac -ar R -ac C out.flv`): its
  // encoder appends the sync extension saying "no SBR" (56 e5 00).
  const ffmpegTags: [string, number, number][] = [
    ["af00119056e500", 48000, 2],
    ["af00121056e500", 44100, 2],
    ["af00138856e500", 22050, 1],
    ["af00158856e500", 8000, 1],
    ["af0011b056e500", 48000, 6],
    ["af00101056e500", 96000, 2],
    ["af00160856e500", 7350, 1],
  ];
  for (const [hex, rate, channels] of ffmpegTags) {
    it(`reads AAC-LC ${rate} Hz, ${channels} channel(s) from ffmpeg's FLV tag ${hex}`, () => {
      assert.deepEqual(aacConfigFromFlvSequenceHeader(Buffer.from(hex, "hex")), { codec: "mp4a.40.2", sampleRate: rate, channels });
    });
  }

  it("recognises HE-AAC however it is signalled, with its output rate", () => {
    const tag = (asc: string) => aacConfigFromFlvSequenceHeader(Buffer.from(`af00${asc}`, "hex"));
    // Explicit: object type 5, core 22.05 kHz, stereo, SBR 44.1 kHz (the usual HE-AAC 44.1k stereo config).
    assert.deepEqual(tag("2b920800"), { codec: "mp4a.40.5", sampleRate: 44100, channels: 2 });
    // Backward-compatible: AAC-LC 24 kHz stereo, then the sync extension: SBR at 48 kHz, no PS.
    // Same rate and channels as what we copy, but HE-AAC: must not be copied.
    assert.deepEqual(tag("131056e59d4800"), { codec: "mp4a.40.5", sampleRate: 48000, channels: 2 });
    assert.deepEqual(tag("139056e5a0"), { codec: "mp4a.40.5", sampleRate: 44100, channels: 2 });
    // Explicit HE-AAC v2 (object type 29): mono core, parametric stereo out.
    assert.deepEqual(tag("eb8a0800"), { codec: "mp4a.40.29", sampleRate: 44100, channels: 2 });
  });

  it("reads an explicit 24-bit sampling rate and channels given only in a program config element", () => {
    // Object type 2, index 0xF, rate 0x00bb80 (48000), channel configuration 2, GA flags 0.
    assert.deepEqual(aacConfigFromFlvSequenceHeader(Buffer.from("af0017805dc010", "hex")), { codec: "mp4a.40.2", sampleRate: 48000, channels: 2 });
    // Object type 2, 48 kHz, channel configuration 0 (a PCE follows).
    assert.deepEqual(aacConfigFromFlvSequenceHeader(Buffer.from("af001180", "hex")), { codec: "mp4a.40.2", sampleRate: 48000, channels: null });
  });

  it("refuses what is not an AAC sequence header, or is cut short", () => {
    assert.equal(aacConfigFromFlvSequenceHeader(Buffer.from("af01119056e500", "hex")), null, "a raw AAC frame");
    assert.equal(aacConfigFromFlvSequenceHeader(Buffer.from("2f00119056e500", "hex")), null, "MP3");
    assert.equal(aacConfigFromFlvSequenceHeader(Buffer.from("af0011", "hex")), null);
    assert.equal(aacConfigFromFlvSequenceHeader(Buffer.from("af0000000000", "hex")), null, "object type 0");
  });
});
