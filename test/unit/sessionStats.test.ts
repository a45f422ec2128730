// The pure parts of a session's statistics: the viewer series (average, downsampling,
// sample spacing), incident episodes, and the graph's SVG geometry.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encoderTooSlow, framesArriving } from "../../lib/ingestStats.ts";
import { GRAPH_BOX, niceMax, viewerGraph } from "../../lib/stats/graph.ts";
import {
  acceptsSample,
  averageViewers,
  closeIncidents,
  describeIncident,
  downsample,
  reconnectIncidents,
  sortIncidents,
  trackIncidents,
  zipSamples,
  type Incident,
  type Sample,
} from "../../lib/stats/series.ts";

const series = (...pairs: [number, number][]): Sample[] => pairs.map(([at, viewers]) => ({ at, viewers }));

describe("viewer series", () => {
  it("zips the stored columns, stopping at the shorter one", () => {
    assert.deepEqual(zipSamples([0, 15, 30], [1, 2]), series([0, 1], [15, 2]));
    assert.deepEqual(zipSamples([], []), []);
  });

  it("refuses a sample too close to the previous one (a repeated sweep), and one from the past", () => {
    assert.equal(acceptsSample(undefined, 0, 5), true);
    assert.equal(acceptsSample(15, 30, 5), true);
    assert.equal(acceptsSample(15, 19, 5), false);
    assert.equal(acceptsSample(15, 15, 5), false);
    assert.equal(acceptsSample(30, 15, 5), false);
  });

  it("averages over time, so a missed sample does not weigh the rest", () => {
    assert.equal(averageViewers([]), null);
    assert.equal(averageViewers(series([0, 4])), 4);
    assert.equal(averageViewers(series([0, 2], [15, 2], [30, 2])), 2);
    // 0→4 over 15 s, then 4 for 15 s: (2·15 + 4·15) / 30
    assert.equal(averageViewers(series([0, 0], [15, 4], [30, 4])), 3);
    // a 45 s hole between two samples at 10 counts as 10, not as one sample
    assert.equal(averageViewers(series([0, 0], [15, 10], [60, 10])), (5 * 15 + 10 * 45) / 60);
    // samples at one instant (a sweep and the end at the same second)
    assert.equal(averageViewers(series([5, 2], [5, 4])), 3);
  });

  it("downsamples to at most the points asked, keeping each bucket's largest count", () => {
    const long = Array.from({ length: 1000 }, (_, i) => ({ at: i * 15, viewers: i % 7 }));
    long[523].viewers = 99;
    const small = downsample(long, 120);
    assert.ok(small.length <= 120 && small.length >= 100, `${small.length} points`);
    assert.equal(Math.max(...small.map((s) => s.viewers)), 99, "the peak survives");
    assert.ok(small.some((s) => s.at === 523 * 15), "at its own time");
    for (let i = 1; i < small.length; i++) assert.ok(small[i].at > small[i - 1].at, "in order");
    const few = series([0, 1], [15, 2]);
    assert.deepEqual(downsample(few, 120), few);
    assert.notEqual(downsample(few, 120), few, "a copy");
    assert.deepEqual(downsample(series([0, 1], [15, 5], [30, 2], [45, 3]), 2), series([15, 5], [45, 3]));
    assert.throws(() => downsample(few, 0), /at least 1/);
  });
});

describe("incidents", () => {
  it("opens an episode when a kind is seen, grows it while seen, keeps the worst value, and closes it", () => {
    let list: Incident[] = [];
    list = trackIncidents(list, [{ kind: "transcode-behind", value: 8 }], 30);
    assert.deepEqual(list, [{ kind: "transcode-behind", at: 30, seconds: 0, value: 8, open: true }]);
    list = trackIncidents(list, [{ kind: "transcode-behind", value: 12 }, { kind: "encoder-slow", value: 0.9 }], 45);
    list = trackIncidents(list, [{ kind: "transcode-behind", value: 10 }, { kind: "encoder-slow", value: 0.8 }], 60);
    assert.deepEqual(list, [
      { kind: "transcode-behind", at: 30, seconds: 30, value: 12, open: true },
      { kind: "encoder-slow", at: 45, seconds: 15, value: 0.8, open: true },
    ]);
    list = trackIncidents(list, [{ kind: "encoder-slow", value: 0.93 }], 75);
    assert.deepEqual(list, [
      { kind: "transcode-behind", at: 30, seconds: 30, value: 12 },
      { kind: "encoder-slow", at: 45, seconds: 30, value: 0.8, open: true },
    ]);
    // seen again later: a new episode
    list = trackIncidents(list, [{ kind: "transcode-behind", value: 6 }], 120);
    assert.equal(list.filter((i) => i.kind === "transcode-behind").length, 2);
    assert.equal(list.find((i) => i.kind === "encoder-slow")!.open, undefined, "not seen at 120: closed");
    assert.deepEqual(closeIncidents(list).filter((i) => i.open), []);
  });

  it("takes the worst of one kind seen twice in a sample, and stops adding past the cap", () => {
    const one = trackIncidents([], [{ kind: "frames-dropped", value: 0.8 }, { kind: "frames-dropped", value: 0.6 }], 10);
    assert.deepEqual(one, [{ kind: "frames-dropped", at: 10, seconds: 0, value: 0.6, open: true }]);
    const full: Incident[] = Array.from({ length: 3 }, (_, i) => ({ kind: "transcode-behind", at: i, seconds: 0, value: 5 }));
    assert.equal(trackIncidents(full, [{ kind: "encoder-slow", value: 0.5 }], 20, 3).length, 3);
  });

  it("finds a reconnect at each join between parts, with the time away", () => {
    const start = new Date("2026-12-07T10:00:00Z");
    const t = (s: number) => new Date(start.getTime() + s * 1000);
    const parts = [
      { index: 1, startedAt: t(100), endedAt: t(200) },
      { index: 0, startedAt: t(0), endedAt: t(60) },
      { index: 2, startedAt: t(212), endedAt: null },
    ];
    assert.deepEqual(reconnectIncidents(parts, start), [
      { kind: "reconnect", at: 60, seconds: 40, value: 40 },
      { kind: "reconnect", at: 200, seconds: 12, value: 12 },
    ]);
    assert.deepEqual(reconnectIncidents([parts[1]], start), []);
  });

  it("says what happened in words", () => {
    assert.equal(describeIncident({ kind: "reconnect", at: 60, seconds: 40, value: 40 }), "Publisher reconnected at 1:00, after 0:40 away");
    assert.equal(describeIncident({ kind: "transcode-behind", at: 750, seconds: 45, value: 9.4 }), "Transcode fell behind at 12:30 for 0:45 (up to 9 s behind)");
    assert.equal(describeIncident({ kind: "frames-dropped", at: 5, seconds: 0, value: 0.72 }), "Frames dropped by the encoder at 0:05 (down to 72 % of the frames)");
    assert.equal(describeIncident({ kind: "encoder-slow", at: 5, seconds: 15, value: 0.8 }), "Encoder slower than real time at 0:05 for 0:15 (down to 0.80× real time)");
    assert.deepEqual(sortIncidents([{ kind: "reconnect", at: 60, seconds: 1, value: 1 }, { kind: "encoder-slow", at: 5, seconds: 0, value: 0.8 }]).map((i) => i.at), [5, 60]);
  });

  it("reads ingest's measurements the way the dashboard's warning does", () => {
    assert.equal(encoderTooSlow({ sendSpeed: 0.94 }), true);
    assert.equal(encoderTooSlow({ sendSpeed: 1 }), false);
    assert.equal(encoderTooSlow({ sendSpeed: null }), false);
    assert.equal(framesArriving({ fps: 24, declaredFps: 30 }), 0.8);
    assert.equal(framesArriving({ fps: 29.5, declaredFps: 30 }), null);
    assert.equal(framesArriving({ fps: null, declaredFps: 30 }), null);
    assert.equal(framesArriving({ fps: 20, declaredFps: null }), null);
  });
});

describe("viewer graph geometry", () => {
  const box = GRAPH_BOX;
  const plotBottom = box.height - box.bottom;

  it("rounds the axis up to 1, 2 or 5 × 10ⁿ steps", () => {
    assert.deepEqual(niceMax(0), { top: 1, step: 1 });
    assert.deepEqual(niceMax(3), { top: 3, step: 1 });
    assert.deepEqual(niceMax(6), { top: 6, step: 2 });
    assert.deepEqual(niceMax(7), { top: 8, step: 2 });
    assert.deepEqual(niceMax(17), { top: 20, step: 5 });
    assert.deepEqual(niceMax(430), { top: 600, step: 200 });
  });

  it("draws one M then an L per sample, from the left edge at 0 s to the right edge at the end", () => {
    const g = viewerGraph(series([0, 0], [15, 6], [30, 3]), { durationSeconds: 30, gapSeconds: 45 });
    const cmds = g.line.match(/[ML][\d.]+ [\d.]+/g)!;
    assert.equal(cmds.length, 3);
    assert.equal(g.points, 3);
    assert.equal(g.line, `M${box.left} ${plotBottom} L${(box.left + (box.width - box.left - box.right) / 2)} ${box.top} L${box.width - box.right} ${(box.top + (plotBottom - box.top) / 2)}`);
    assert.equal(g.yMax, 6);
    assert.deepEqual(g.yTicks.map((t) => t.label), ["0", "2", "4", "6"]);
    assert.deepEqual(g.xTicks.map((t) => t.label), ["0:00", "0:15", "0:30"]);
    assert.match(g.area, /^M[\d.]+ [\d.]+ L.* Z$/);
  });

  it("breaks the line where samples are missing, and stays inside the box", () => {
    const g = viewerGraph(series([0, 1], [15, 2], [120, 2], [135, 1]), { durationSeconds: 200, gapSeconds: 45 });
    assert.equal((g.line.match(/M/g) ?? []).length, 2, "two runs");
    assert.equal((g.line.match(/L/g) ?? []).length, 2);
    assert.equal((g.area.match(/Z/g) ?? []).length, 2);
    for (const [, x, y] of g.line.matchAll(/[ML]([\d.]+) ([\d.]+)/g)) {
      assert.ok(Number(x) >= box.left && Number(x) <= box.width - box.right, `x ${x}`);
      assert.ok(Number(y) >= box.top && Number(y) <= plotBottom, `y ${y}`);
    }
  });

  it("draws nothing for no samples, and a flat line at zero for zeros", () => {
    const none = viewerGraph([], { durationSeconds: 0, gapSeconds: 45 });
    assert.equal(none.line, "");
    assert.equal(none.points, 0);
    const zeros = viewerGraph(series([0, 0], [15, 0]), { durationSeconds: 15, gapSeconds: 45 });
    assert.ok([...zeros.line.matchAll(/[ML][\d.]+ ([\d.]+)/g)].every((m) => Number(m[1]) === plotBottom));
  });
});
