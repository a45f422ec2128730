import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { planRenditions, type SourceInfo } from "../../lib/ffmpeg/liveLadder.ts";
import { aliasRenditions, dropTopRungs, ladderWithinMaster } from "../../lib/ffmpeg/masterFit.ts";
import { formatLadder, parseLadder } from "../../lib/ladder.ts";

const audio = { audioCodec: "mp4a.40.2", audioSampleRate: 48000, audioChannels: 2 };

describe("a later part within the session's master", () => {
  const master = planRenditions({ width: 1280, height: 720, fps: 30, videoCodec: null, ...audio }, parseLadder("720p30@2500k|480p30@1200k|360p30@800k"));
  const src480: SourceInfo = { width: 854, height: 480, fps: 30, videoCodec: null, ...audio };

  it("encodes only the master's rungs that fit the new source, under the master's names", () => {
    const ladder = ladderWithinMaster(master, src480);
    assert.deepEqual(ladder.rungs.map((r) => r.name), ["480p30", "360p30"]);
  });

  it("feeds the taller renditions from the best rung it has, never upscaling", () => {
    const encoded = planRenditions(src480, ladderWithinMaster(master, src480));
    assert.deepEqual(Object.fromEntries(aliasRenditions(master, encoded)), { "480p30": ["720p30", "480p30"], "360p30": ["360p30"] });
  });

  it("still produces something for a source smaller than every rung", () => {
    const tiny: SourceInfo = { ...src480, width: 426, height: 240 };
    const ladder = ladderWithinMaster(master, tiny);
    assert.deepEqual(ladder.rungs.map((r) => [r.name, r.height]), [["360p30", 240]]);
    const encoded = planRenditions(tiny, ladder);
    assert.deepEqual(encoded.map((r) => [r.width, r.height]), [[426, 240]]);
    assert.deepEqual(Object.fromEntries(aliasRenditions(master, encoded)), { "360p30": ["720p30", "480p30", "360p30"] });
  });

  it("fits by the short side: a portrait phone after a landscape camera keeps every rung, in portrait", () => {
    const phone: SourceInfo = { ...src480, width: 720, height: 1280 };
    const encoded = planRenditions(phone, ladderWithinMaster(master, phone));
    assert.deepEqual(encoded.map((r) => `${r.name} ${r.width}x${r.height}`), ["720p30 720x1280", "480p30 480x854", "360p30 360x640"]);
    assert.deepEqual(Object.fromEntries(aliasRenditions(master, encoded)), { "720p30": ["720p30"], "480p30": ["480p30"], "360p30": ["360p30"] });
  });

  it("fits a portrait master's rungs by their short side too, and rounds an odd source down to even", () => {
    const portrait = planRenditions({ width: 720, height: 1280, fps: 30, videoCodec: null, ...audio }, parseLadder("720p30@2500k|480p30@1200k"));
    const odd: SourceInfo = { ...src480, width: 601, height: 451 };
    const ladder = ladderWithinMaster(portrait, odd);
    assert.deepEqual(ladder.rungs.map((r) => [r.name, r.height]), [["480p30", 450]]);
    assert.deepEqual(planRenditions(odd, ladder).map((r) => [r.width, r.height]), [[600, 450]]);
  });

  it("keeps the master's passthrough and frame rates, and is capped by a slower source", () => {
    const withSource = planRenditions({ width: 1920, height: 1080, fps: 30, videoCodec: null, ...audio }, parseLadder("720p30@2500k|360p30@800k|source"));
    const slow: SourceInfo = { ...src480, fps: 15 };
    const ladder = ladderWithinMaster(withSource, slow);
    assert.equal(ladder.passthrough, true);
    const encoded = planRenditions(slow, ladder);
    assert.deepEqual(encoded.map((r) => [r.name, r.fps]), [["source", 15], ["360p30", 15]]);
    assert.deepEqual(Object.fromEntries(aliasRenditions(withSource, encoded)), { source: ["source"], "360p30": ["720p30", "360p30"] });
  });
});

describe("dropping the most expensive rungs", () => {
  const ladder = parseLadder("1080p30@6000k|720p60@4000k|480p30@1200k|360p30@800k|source");

  it("drops the tallest rungs first and keeps the passthrough", () => {
    assert.equal(formatLadder(dropTopRungs(ladder, 1)), "720p60@4000k|480p30@1200k|360p30@800k|source");
    assert.equal(formatLadder(dropTopRungs(ladder, 2)), "480p30@1200k|360p30@800k|source");
  });

  it("never drops the last encoded rung", () => {
    assert.equal(formatLadder(dropTopRungs(ladder, 4)), "360p30@800k|source");
    assert.equal(formatLadder(dropTopRungs(ladder, 99)), "360p30@800k|source");
    assert.equal(formatLadder(dropTopRungs(parseLadder("480p30@1200k"), 1)), "480p30@1200k");
    assert.equal(formatLadder(dropTopRungs(parseLadder("source"), 1)), "source");
  });

  it("drops nothing for n ≤ 0, and leaves the ladder it was given alone", () => {
    assert.equal(formatLadder(dropTopRungs(ladder, 0)), formatLadder(ladder));
    assert.equal(formatLadder(dropTopRungs(ladder, -3)), formatLadder(ladder));
    dropTopRungs(ladder, 2);
    assert.equal(ladder.rungs.length, 4);
  });

  it("works on any rung order (a ladder fitted within a master is not re-sorted)", () => {
    const shuffled = { rungs: [...ladder.rungs].reverse(), passthrough: false };
    assert.deepEqual(dropTopRungs(shuffled, 1).rungs.map((r) => r.name), ["360p30", "480p30", "720p60"]);
  });
});
