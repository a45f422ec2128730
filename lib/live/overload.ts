// The overload policy (TRANSCODE_OVERLOAD=degrade): when a live transcode runs
// slower than real time for a while, step down — a faster x264 preset first,
// then drop the most expensive rung, one at a time — and step back up when it
// has kept up for long enough with CPU to spare. Each change restarts ffmpeg at
// a segment boundary from the spool (nothing is lost; viewers see one
// discontinuity). Pure: the worker feeds it samples and carries out its answers.
import { dropTopRungs } from "../ffmpeg/masterFit.ts";
import type { Ladder } from "../ladder.ts";
import { behindThresholdSeconds } from "./transcodeHealth.ts";

/** x264 presets, fastest first. */
export const X264_PRESETS = ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"];
// Encoding cost relative to veryfast, measured here on 720p/480p/360p (bench:transcode); for ratios only.
const PRESET_COST: Record<string, number> = { ultrafast: 0.45, superfast: 0.78, veryfast: 1, faster: 1.25, fast: 1.6, medium: 2, slow: 3, slower: 5, veryslow: 8 };

export interface OverloadStep {
  preset: string;
  ladder: Ladder;
  /** Names of the rungs this step leaves out. */
  dropped: string[];
}

/** The steps from the configured ladder and preset down to one rung at ultrafast. */
export function overloadSteps(ladder: Ladder, preset: string): OverloadStep[] {
  const steps: OverloadStep[] = [{ preset, ladder, dropped: [] }];
  if (ladder.rungs.length === 0) return steps; // a stream copy only: nothing to make cheaper
  const rank = X264_PRESETS.indexOf(preset);
  const fast = rank > 1 ? "superfast" : preset;
  if (fast !== preset) steps.push({ preset: fast, ladder, dropped: [] });
  for (let n = 1; n < ladder.rungs.length; n++) {
    const fewer = dropTopRungs(ladder, n);
    steps.push({ preset: fast, ladder: fewer, dropped: ladder.rungs.slice(0, n).map((r) => r.name) });
  }
  const last = steps[steps.length - 1];
  if (last.preset !== "ultrafast" && rank !== 0) steps.push({ ...last, preset: "ultrafast" });
  return steps;
}

/** Relative CPU cost of a step (pixels per second × preset factor); comparable between steps only. */
export function stepCost(step: OverloadStep): number {
  const pixels = step.ladder.rungs.reduce((sum, r) => sum + ((r.height * r.height * 16) / 9) * r.fps, 0);
  // Decoding and scaling the source cost about as much as a mid rung, whatever the step.
  return pixels * (PRESET_COST[step.preset] ?? 1) + 0.5e7;
}

export interface OverloadSample {
  at: number;
  /** Media seconds per wall second over the last ~10 s. */
  speed: number | null;
  lagSeconds: number | null;
  /** CPU cores idle on this machine, and used by our ffmpeg, over the last interval. */
  idleCores: number | null;
  ffmpegCores: number | null;
}

export interface OverloadState {
  level: number;
  /** When the current ffmpeg run started (a new run first has to catch up). */
  runStartedAt: number;
  lastChangeAt: number;
  /** Since when the transcode has kept up without interruption. */
  calmSince: number | null;
  lastUpAt: number | null;
  /** Steps up that had to be undone soon after: each doubles the wait before the next. */
  failedUps: number;
}

export type OverloadAction = { kind: "none" } | { kind: "down" | "up"; to: number; why: string };

export interface OverloadOptions {
  mode: "degrade" | "warn";
  segmentSeconds: number;
  /** How long it must keep up before a step back up (doubled after each step up that failed). */
  upAfterMs?: number;
}

const RAMP_UP_MS = 8000;
const CHANGE_COOLDOWN_MS = 10_000;
const SLOW_SPEED = 0.97;
export const UP_AFTER_MS = 60_000;
const MAX_UP_AFTER_MS = 16 * 60_000;
const HEADROOM = 1.3;

export function initialOverloadState(now: number, level = 0): OverloadState {
  return { level, runStartedAt: now, lastChangeAt: now, calmSince: null, lastUpAt: null, failedUps: 0 };
}

export function isBehind(sample: OverloadSample, segmentSeconds: number): boolean {
  return sample.lagSeconds !== null && sample.lagSeconds > behindThresholdSeconds(segmentSeconds);
}

/** Pure: what to do after this sample, and the state to carry on with. */
export function decideOverload(state: OverloadState, sample: OverloadSample, steps: OverloadStep[], opts: OverloadOptions): { state: OverloadState; action: OverloadAction } {
  const now = sample.at;
  const calm = sample.lagSeconds !== null && sample.lagSeconds <= opts.segmentSeconds + 2;
  const next: OverloadState = { ...state, calmSince: calm ? (state.calmSince ?? now) : null };
  if (opts.mode !== "degrade") return { state: next, action: { kind: "none" } };
  const settled = now - state.runStartedAt >= RAMP_UP_MS && now - state.lastChangeAt >= CHANGE_COOLDOWN_MS;
  const fmt = (x: number) => (Math.round(x * 100) / 100).toFixed(2);

  if (settled && state.level < steps.length - 1 && isBehind(sample, opts.segmentSeconds) && sample.speed !== null && sample.speed < SLOW_SPEED) {
    const failedUp = state.lastUpAt !== null && now - state.lastUpAt < 2 * (opts.upAfterMs ?? UP_AFTER_MS);
    return {
      state: { ...next, level: state.level + 1, lastChangeAt: now, runStartedAt: now, calmSince: null, failedUps: state.failedUps + (failedUp ? 1 : 0) },
      action: { kind: "down", to: state.level + 1, why: `transcoding ran at ${fmt(sample.speed)}× real time, ${Math.round(sample.lagSeconds!)} s behind` },
    };
  }

  const upAfter = Math.min(MAX_UP_AFTER_MS, (opts.upAfterMs ?? UP_AFTER_MS) * 2 ** state.failedUps);
  if (settled && state.level > 0 && next.calmSince !== null && now - next.calmSince >= upAfter && now - state.lastChangeAt >= upAfter) {
    const extra = stepCost(steps[state.level - 1]) / stepCost(steps[state.level]) - 1;
    const needed = (sample.ffmpegCores ?? Infinity) * extra * HEADROOM;
    if (sample.idleCores !== null && sample.idleCores >= needed) {
      return {
        state: { ...next, level: state.level - 1, lastChangeAt: now, runStartedAt: now, calmSince: null, lastUpAt: now },
        action: { kind: "up", to: state.level - 1, why: `it kept up for ${Math.round((now - next.calmSince) / 1000)} s with ${fmt(sample.idleCores)} CPU cores idle` },
      };
    }
  }
  return { state: next, action: { kind: "none" } };
}

/** "x264 preset veryfast → superfast", "dropped 1080p30", "restored 1080p30". */
export function describeStepChange(from: OverloadStep, to: OverloadStep): string {
  const parts: string[] = [];
  if (from.preset !== to.preset) parts.push(`x264 preset ${from.preset} → ${to.preset}`);
  const dropped = to.dropped.filter((d) => !from.dropped.includes(d));
  const restored = from.dropped.filter((d) => !to.dropped.includes(d));
  if (dropped.length) parts.push(`dropped ${dropped.join(", ")}`);
  if (restored.length) parts.push(`restored ${restored.join(", ")}`);
  return parts.join("; ") || "no change";
}
