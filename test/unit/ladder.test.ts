import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LadderError, formatLadder, parseLadder, rungsForSource } from "../../lib/ladder.ts";

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

  it("never upscales: drops rungs taller than the source", () => {
    const l = parseLadder("1080p60@6000k|720p30@2500k|480p30@1200k|360p30@800k");
    assert.deepEqual(rungsForSource(l, 720).map((r) => r.height), [720, 480, 360]);
    assert.deepEqual(rungsForSource(l, 300).map((r) => r.height), []);
  });
});
