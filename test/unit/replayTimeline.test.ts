// The one mapping from a chat message's server timestamp to the moment of the
// replay it shows at: parts joined with the gaps left out, gap messages at the
// gap's marker, early ones at 0; and its inverse, which pages the chat.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { replayOffset, replayTimeline, timelineEnd, wallClockAt } from "../../lib/chat/replayTimeline.ts";
import { gapMarkers, replaySegments } from "../../lib/replays.ts";
import type { Segment } from "../../lib/hls/playlist.ts";

const T0 = Date.UTC(2026, 11, 7, 20, 0, 0);

/** `n` segments of `d` seconds of part `part`, from wall clock `start` (ms). */
function part(part: number, start: number, n: number, d = 2, startIndex = 0): Segment[] {
  return Array.from({ length: n }, (_, i) => ({ uri: `p${part}e1-${String(startIndex + i).padStart(6, "0")}.ts`, duration: d, programDateTime: start + i * d * 1000, part, discontinuity: i === 0 && part > 0 }));
}

const slate = (start: number, n: number): Segment[] =>
  Array.from({ length: n }, (_, i) => ({ uri: `s1-${String(i).padStart(6, "0")}.ts`, duration: 2, programDateTime: start + i * 2000, slate: true }));

describe("replay timeline", () => {
  // Part 0: 20 s of media from T0; away 37 s (slate meanwhile); part 1: 10 s from T0 + 57 s.
  const live = [...part(0, T0, 10), ...slate(T0 + 20_000, 18), ...part(1, T0 + 57_000, 5)];
  const segments = replaySegments({ version: 1, targetDuration: 2, firstSequence: 0, segments: live, ended: true });
  const timeline = replayTimeline(segments);

  it("joins contiguous segments into runs, one per part here", () => {
    assert.deepEqual(timeline, [
      { wallStart: T0, at: 0, seconds: 20 },
      { wallStart: T0 + 57_000, at: 20, seconds: 10 },
    ]);
    assert.equal(timelineEnd(timeline), 30);
  });

  it("maps a message inside a part to the same distance into the replay", () => {
    assert.equal(replayOffset(T0, timeline), 0);
    assert.equal(replayOffset(T0 + 1500, timeline), 1.5);
    assert.equal(replayOffset(T0 + 19_999, timeline), 19.999);
    assert.equal(replayOffset(T0 + 57_000, timeline), 20);
    assert.equal(replayOffset(T0 + 60_250, timeline), 23.25);
  });

  it("puts a message sent during the reconnect gap at the gap's marker", () => {
    const [marker] = gapMarkers(segments, [
      { index: 0, startedAt: new Date(T0), endedAt: new Date(T0 + 20_000) },
      { index: 1, startedAt: new Date(T0 + 57_000), endedAt: new Date(T0 + 67_000) },
    ]);
    assert.equal(marker.at, 20);
    for (const ts of [T0 + 20_000, T0 + 21_000, T0 + 40_000, T0 + 56_999]) assert.equal(replayOffset(ts, timeline), marker.at);
  });

  it("puts messages before the first segment at 0 and after the last at the end", () => {
    assert.equal(replayOffset(T0 - 5000, timeline), 0);
    assert.equal(replayOffset(0, timeline), 0);
    assert.equal(replayOffset(T0 + 67_000, timeline), 30);
    assert.equal(replayOffset(T0 + 3_600_000, timeline), 30);
  });

  it("marks a hole inside a part (a transcode restart that lost media) like a gap", () => {
    const holed = [...part(0, T0, 3), ...part(0, T0 + 9000, 3, 2, 3)];
    const tl = replayTimeline(holed);
    assert.equal(tl.length, 2);
    assert.equal(replayOffset(T0 + 7000, tl), 6, "sent in the hole: where the replay resumes");
    assert.equal(replayOffset(T0 + 10_000, tl), 7);
  });

  it("keeps small jitter of program-date-times within one run, and stays monotonic when a clock steps back", () => {
    const jittery = part(0, T0, 6).map((s, i) => ({ ...s, programDateTime: s.programDateTime! + (i % 2 ? 40 : -30) }));
    assert.equal(replayTimeline(jittery).length, 1);
    const back = [...part(0, T0, 5), ...part(1, T0 + 4000, 5)];
    const tl = replayTimeline(back);
    for (let t = T0 - 1000; t < T0 + 30_000; t += 250) assert.ok(replayOffset(t + 250, tl) >= replayOffset(t, tl), `monotonic at ${t - T0}`);
  });

  it("without any clock, every message shows from the start", () => {
    assert.deepEqual(replayTimeline([{ duration: 2 }, { duration: 2 }]), []);
    assert.equal(replayOffset(T0, []), 0);
    assert.equal(wallClockAt(0, []), Infinity);
  });

  it("wallClockAt is the inverse the pages rely on: replayOffset(ts) <= x exactly when ts <= wallClockAt(x)", () => {
    assert.equal(wallClockAt(-1, timeline), -Infinity);
    assert.equal(wallClockAt(30, timeline), Infinity);
    assert.equal(wallClockAt(1.5, timeline), T0 + 1500);
    assert.equal(wallClockAt(20, timeline), T0 + 57_000, "at the marker: the gap's messages, and the resumed part's first instant");
    for (let x = 0; x < 31; x += 0.37) {
      const wall = wallClockAt(x, timeline);
      for (let ts = T0 - 2000; ts < T0 + 70_000; ts += 97) {
        assert.equal(replayOffset(ts, timeline) <= x, ts <= wall, `x=${x.toFixed(2)} ts=T0+${ts - T0}`);
      }
    }
  });
});
