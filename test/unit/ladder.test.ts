import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LadderError, formatLadder, outputFps, parseLadder, rungSize, rungsForSource } from "../../lib/ladder.ts";

describe("ladder parser", () => {
  it("parses the documented example, tallest first", () => {
    const l = parseLadder("480p30@1200k|1080p60@6000k|720p30@2500k|360p30@800k");
    assert.deepEqual(l.rungs.map((r) => r.name), ["1080p60", "720p30", "480p30", "360p30"]);
    assert.equal(l.rungs[0].videoKbps, 6000);
    assert.equal(l.passthrough, false);
  });

  it("accepts a source passthrough rung and M bitrates", () => {
    const l = parseLadder(" 720p30@2.5M | source ");
    assert.equal(l.passthrough, true);
    assert.equal(l.rungs[0].videoKbps, 2500);
    assert.equal(formatLadder(l), "720p30@2500k|source");
  });

  const bad: [string, RegExp][] = [
    ["", /empty/],
    ["720p30@2500k||480p30@1200k", /Rung 2 is empty/],
    ["720p30@2500k|banana", /rung 2 \("banana"\) is not of the form/],
    ["721p30@2500k", /even/],
    ["720p30@20k", /bitrate must be 100k/],
    ["720p0@2500k", /frame rate/],
    ["4320p30@9000k", /height must be 144–2160/],
    ["720p30@2500k|720p60@4000k", /720p rung is listed twice/],
    ["source|source", /listed twice/],
  ];
  for (const [input, message] of bad) {
    it(`refuses ${JSON.stringify(input)} and says which part is wrong`, () => {
      assert.throws(() => parseLadder(input), (err: unknown) => err instanceof LadderError && message.test(err.message));
    });
  }

});

describe("rungs for a source", () => {
  const ladder = parseLadder("1080p30@6000k|720p30@2500k|480p30@1200k|360p30@800k");
  const sized = (width: number, height: number, fps = 30) =>
    rungsForSource(ladder, { width, height, fps }).map((r) => {
      const s = rungSize(r.height, { width, height });
      return `${r.name} ${s.width}x${s.height}`;
    });

  it("never upscales: keeps the rungs whose short side fits the source's", () => {
    assert.deepEqual(rungsForSource(ladder, { width: 1280, height: 720 }).map((r) => r.height), [720, 480, 360]);
    assert.deepEqual(rungsForSource(ladder, { width: 720, height: 1280 }).map((r) => r.height), [720, 480, 360]);
    assert.deepEqual(rungsForSource(ladder, { width: 1080, height: 1920 }).map((r) => r.height), [1080, 720, 480, 360]);
  });

  it("sizes a landscape source by its height, keeping the aspect ratio with even sides", () => {
    assert.deepEqual(sized(1920, 1080), ["1080p30 1920x1080", "720p30 1280x720", "480p30 854x480", "360p30 640x360"]);
  });

  it("sizes a portrait source by its width (names stay those of the rungs)", () => {
    assert.deepEqual(sized(720, 1280), ["720p30 720x1280", "480p30 480x854", "360p30 360x640"]);
  });

  it("uses the nearest even size of the exact ratio, and the source's own size rounded down to even at its short side", () => {
    assert.deepEqual(sized(1366, 768), ["720p30 1280x720", "480p30 854x480", "360p30 640x360"]);
    assert.deepEqual(sized(1281, 721), ["720p30 1280x720", "480p30 852x480", "360p30 640x360"]);
    assert.deepEqual(sized(1080, 1080), ["1080p30 1080x1080", "720p30 720x720", "480p30 480x480", "360p30 360x360"]);
    assert.deepEqual(rungSize(1080, { width: 1279, height: 1080 }), { width: 1278, height: 1080 });
  });

  it("gives a source smaller than every rung one rung at its own size, named by its short side and frame rate", () => {
    const [r] = rungsForSource(ladder, { width: 320, height: 240, fps: 15 });
    // 800k × (320×240) / (480×360): the smallest rung's bitrate per pixel.
    assert.deepEqual(r, { height: 240, fps: 15, videoKbps: 356, name: "240p15" });
    assert.deepEqual(rungSize(r.height, { width: 320, height: 240 }), { width: 320, height: 240 });
    assert.deepEqual(sized(321, 241, 15), ["240p15 320x240"]);
    assert.deepEqual(sized(240, 320, 30), ["240p30 240x320"]);
  });

  it("keeps that rung's bitrate within 200k and the smallest rung's", () => {
    assert.equal(rungsForSource(ladder, { width: 160, height: 120, fps: 30 })[0].videoKbps, 200);
    assert.equal(rungsForSource(parseLadder("360p30@150k"), { width: 320, height: 240, fps: 30 })[0].videoKbps, 150);
    assert.equal(rungsForSource(parseLadder("360p30@3000k"), { width: 640, height: 358, fps: 30 })[0].videoKbps, 2967);
  });

  it("encodes nothing for a passthrough-only ladder, and refuses an unknown source size", () => {
    assert.deepEqual(rungsForSource(parseLadder("source"), { width: 320, height: 240 }), []);
    assert.throws(() => rungsForSource(ladder, { width: 0, height: 0 }), LadderError);
  });

  it("never raises the frame rate: the source's, rounded, caps every rung", () => {
    assert.equal(outputFps(30, 29.97), 30);
    assert.equal(outputFps(60, 59.94), 60);
    assert.equal(outputFps(30, 59.94), 30);
    assert.equal(outputFps(30, 14.99), 15);
    assert.equal(outputFps(30, 0), 30, "unknown: the rung's");
    assert.equal(outputFps(30, Number.NaN), 30);
  });
});
