// The live command's WebRTC pieces: which rung, the tee of its segments and RTP, Opus audio.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildLiveLadder, type SourceInfo } from "../../lib/ffmpeg/liveLadder.ts";
import { specToArgs } from "../../lib/ffmpeg/spec.ts";
import { teeSlave, webrtcRendition } from "../../lib/ffmpeg/webrtcRtp.ts";
import { parseLadder } from "../../lib/ladder.ts";

const aac48 = { audioCodec: "mp4a.40.2", audioSampleRate: 48000, audioChannels: 2 };
const source1080: SourceInfo = { width: 1920, height: 1080, fps: 30, videoCodec: "avc1.640028", ...aac48 };
const target = { host: "edge", port: 5004, ssrcs: { video: 111, audio: 222 } };
const build = (source: SourceInfo, ladder: string, webrtc = true) =>
  buildLiveLadder({ input: "http://ingest/x.flv", source, ladder: parseLadder(ladder), segmentSeconds: 2, outputDir: (r) => `/m/${r.name}`, segmentPrefix: "p0e1-", ...(webrtc ? { webrtc: target } : {}) });

describe("WebRTC rendition of the live command", () => {
  it("takes the largest rung up to 720p, never the passthrough, else the smallest", () => {
    assert.equal(build(source1080, "1080p30@6000k|720p30@2500k|480p30@1200k").webrtc?.name, "720p30");
    assert.equal(build(source1080, "source|480p30@1200k|360p30@800k").webrtc?.name, "480p30");
    assert.equal(build(source1080, "1080p30@6000k").webrtc?.name, "1080p30");
    assert.equal(build(source1080, "source").webrtc, null);
    // Portrait: the short side counts.
    assert.equal(webrtcRendition(build({ ...source1080, width: 1080, height: 1920 }, "1080p30@6000k|720p30@2500k").renditions)?.name, "720p30");
  });

  it("tees the rung's one encode into its segments and the video RTP; no second video encode", () => {
    const { spec } = build(source1080, "720p30@2500k|480p30@1200k");
    const args = specToArgs(spec);
    assert.equal(args.filter((a) => a === "libx264").length, 2, "one encode per rung, none extra");
    const tee = spec.outputs[0];
    assert.deepEqual(tee.options.slice(-2), ["-f", "tee"]);
    assert.ok(!tee.options.includes("segment"), "the segment muxer belongs inside the tee");
    const [segments, rtp] = tee.target.split("|");
    assert.match(segments, /^\[f=segment:segment_time=2:segment_format=mpegts:segment_list=\/m\/720p30\/p0e1-segments\.csv:.*\]\/m\/720p30\/p0e1-%06d\.ts$/);
    assert.doesNotMatch(segments, /muxdelay|muxpreload/);
    assert.equal(rtp, "[f=rtp:select=v:onfail=ignore:ssrc=111:payload_type=96]rtp://edge:5004?pkt_size=1200&rtcpport=5004");
    // The other rung is untouched.
    assert.equal(spec.outputs[1].target, "/m/480p30/p0e1-%06d.ts");
  });

  it("adds Opus audio as its own RTP output that may fail alone, and none for a silent source", () => {
    const { spec } = build(source1080, "720p30@2500k");
    const opus = spec.outputs.at(-1)!;
    assert.equal(opus.target, "[f=rtp:onfail=ignore:ssrc=222:payload_type=111]rtp://edge:5004?pkt_size=1200&rtcpport=5004");
    assert.deepEqual(opus.options.slice(0, 2), ["-map", "0:a:0"]);
    assert.ok(opus.options.includes("libopus"));
    assert.equal(opus.options[opus.options.indexOf("-ar") + 1], "48000");
    const silent = build({ ...source1080, audioCodec: null }, "720p30@2500k").spec;
    assert.equal(silent.outputs.length, 1);
  });

  it("without a target the command is exactly the HLS one", () => {
    const a = specToArgs(build(source1080, "720p30@2500k|480p30@1200k", false).spec);
    assert.ok(!a.some((x) => x.includes("rtp://") || x === "tee"));
  });

  it("refuses values the tee muxer would misread instead of writing a broken command", () => {
    assert.throws(() => teeSlave(["-f", "segment", "-segment_list", "/m/a:b/list.csv"], "/m/x.ts"), /tee muxer/);
    assert.throws(() => teeSlave(["-f", "segment"], "/m/a|b.ts"), /tee muxer target/);
  });
});
