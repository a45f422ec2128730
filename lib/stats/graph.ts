// The viewer graph as SVG geometry, pure: samples in, path data and axis ticks out.
// app/_components/ViewerGraph.tsx draws it; unit tests check it.
import { formatDuration } from "../formatDuration.ts";
import type { Sample } from "./series.ts";

export interface GraphBox {
  width: number;
  height: number;
  /** Room for the axis labels. */
  left: number;
  bottom: number;
  top: number;
  right: number;
}

export const GRAPH_BOX: GraphBox = { width: 480, height: 160, left: 34, bottom: 22, top: 8, right: 8 };

export interface ViewerGraphShape {
  /** Path data of the line: one M per run of samples, an L per further sample. */
  line: string;
  /** The same runs closed down to the axis, for a fill. */
  area: string;
  /** Samples drawn (M and L commands of `line`). */
  points: number;
  yMax: number;
  yTicks: { y: number; label: string }[];
  xTicks: { x: number; label: string }[];
}

/** The smallest 1, 2 or 5 × 10ⁿ step that covers `max` in at most 4 steps, times that many steps. */
export function niceMax(max: number): { top: number; step: number } {
  if (!(max > 0)) return { top: 1, step: 1 };
  for (let mag = 1; ; mag *= 10) {
    for (const m of [1, 2, 5]) {
      const step = m * mag;
      const steps = Math.ceil(max / step);
      if (steps <= 4) return { top: steps * step, step };
    }
  }
}

const r1 = (n: number) => Math.round(n * 10) / 10;

/**
 * Lays out `samples` over a session of `durationSeconds`. Two samples further apart
 * than `gapSeconds` (the sampler was not running) are not joined: the line breaks.
 */
export function viewerGraph(samples: readonly Sample[], opts: { durationSeconds: number; gapSeconds: number; box?: GraphBox }): ViewerGraphShape {
  const box = opts.box ?? GRAPH_BOX;
  const plotW = box.width - box.left - box.right;
  const plotH = box.height - box.top - box.bottom;
  const span = Math.max(1, opts.durationSeconds, ...samples.map((s) => s.at));
  const { top: yMax, step } = niceMax(Math.max(0, ...samples.map((s) => s.viewers)));
  const x = (at: number) => r1(box.left + (Math.max(0, at) / span) * plotW);
  const y = (v: number) => r1(box.top + plotH - (Math.max(0, v) / yMax) * plotH);
  const base = r1(box.top + plotH);

  const runs: Sample[][] = [];
  for (const s of samples) {
    const run = runs[runs.length - 1];
    if (run && s.at - run[run.length - 1].at <= opts.gapSeconds) run.push(s);
    else runs.push([s]);
  }
  const line = runs.map((run) => run.map((s, i) => `${i === 0 ? "M" : "L"}${x(s.at)} ${y(s.viewers)}`).join(" ")).join(" ");
  const area = runs
    .map((run) => `M${x(run[0].at)} ${base} ${run.map((s) => `L${x(s.at)} ${y(s.viewers)}`).join(" ")} L${x(run[run.length - 1].at)} ${base} Z`)
    .join(" ");

  const yTicks: ViewerGraphShape["yTicks"] = [];
  for (let v = 0; v <= yMax; v += step) yTicks.push({ y: y(v), label: String(v) });
  const xTicks: ViewerGraphShape["xTicks"] = [];
  for (const f of [0, 0.5, 1]) xTicks.push({ x: x(span * f), label: formatDuration(span * f) });
  return { line, area, points: samples.length, yMax, yTicks, xTicks };
}
