import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decideOverload, describeStepChange, initialOverloadState, overloadSteps, stepCost, type OverloadSample } from "../../lib/live/overload.ts";
import { parseLadder } from "../../lib/ladder.ts";

const ladder = parseLadder("1080p30@6000k|720p30@2500k|480p30@1200k|360p30@800k");
const steps = overloadSteps(ladder, "veryfast");
const opts = { mode: "degrade" as const, segmentSeconds: 2 };
const sample = (at: number, s: Partial<OverloadSample>): OverloadSample => ({ at, speed: 1, lagSeconds: 2, idleCores: 0, ffmpegCores: 1, ...s });

describe("overload steps", () => {
  it("a faster preset first, then the most expensive rung, one at a time, ultrafast last", () => {
    assert.deepEqual(
      steps.map((s) => `${s.preset}:${s.ladder.rungs.map((r) => r.height).join("/")}`),
      ["veryfast:1080/720/480/360", "superfast:1080/720/480/360", "superfast:720/480/360", "superfast:480/360", "superfast:360", "ultrafast:360"],
    );
    assert.deepEqual(steps[3].dropped, ["1080p30", "720p30"]);
    for (let i = 1; i < steps.length; i++) assert.ok(stepCost(steps[i]) < stepCost(steps[i - 1]), `step ${i} is cheaper`);
    assert.equal(describeStepChange(steps[1], steps[2]), "dropped 1080p30");
    assert.equal(describeStepChange(steps[0], steps[1]), "x264 preset veryfast → superfast");
    assert.equal(describeStepChange(steps[2], steps[1]), "restored 1080p30");
  });

  it("a ladder of one rung at superfast only has ultrafast below it", () => {
    assert.deepEqual(overloadSteps(parseLadder("360p30@800k"), "superfast").map((s) => s.preset), ["superfast", "ultrafast"]);
  });
});

describe("overload decisions", () => {
  const t0 = 1_000_000;
  it("steps down when behind and not catching up, after the run has settled", () => {
    const s0 = initialOverloadState(t0);
    assert.equal(decideOverload(s0, sample(t0 + 4000, { speed: 0.7, lagSeconds: 12 }), steps, opts).action.kind, "none", "too early");
    const { state, action } = decideOverload(s0, sample(t0 + 12_000, { speed: 0.8, lagSeconds: 12 }), steps, opts);
    assert.deepEqual(action, { kind: "down", to: 1, why: "transcoding ran at 0.80× real time, 12 s behind" });
    assert.equal(state.level, 1);
    assert.equal(decideOverload(state, sample(t0 + 15_000, { speed: 0.8, lagSeconds: 14 }), steps, opts).action.kind, "none", "cool-down after a change");
  });

  it("does nothing while it catches up, or when the policy is warn-only", () => {
    const s0 = initialOverloadState(t0);
    assert.equal(decideOverload(s0, sample(t0 + 20_000, { speed: 1.4, lagSeconds: 12 }), steps, opts).action.kind, "none");
    assert.equal(decideOverload(s0, sample(t0 + 20_000, { speed: 0.5, lagSeconds: 30 }), steps, { ...opts, mode: "warn" }).action.kind, "none");
    assert.equal(decideOverload(s0, sample(t0 + 20_000, { speed: 0.5, lagSeconds: 4 }), steps, opts).action.kind, "none", "a small lag is normal");
  });

  it("steps back up after keeping up for a minute with the CPU the next step needs, and waits twice as long after a failed step up", () => {
    let state = { ...initialOverloadState(t0, 2) };
    let d = decideOverload(state, sample(t0 + 20_000, { lagSeconds: 2, idleCores: 1.5, ffmpegCores: 0.6 }), steps, opts);
    state = d.state;
    assert.equal(d.action.kind, "none", "calm only just started");
    d = decideOverload(state, sample(t0 + 81_000, { lagSeconds: 2, idleCores: 0.05, ffmpegCores: 0.6 }), steps, opts);
    assert.equal(d.action.kind, "none", "no idle CPU for the next step");
    d = decideOverload(d.state, sample(t0 + 82_000, { lagSeconds: 2, idleCores: 1.5, ffmpegCores: 0.6 }), steps, opts);
    assert.equal(d.action.kind, "up");
    assert.equal(d.state.level, 1);
    // It cannot keep up at the richer step: down again soon after, and the next step up waits twice as long.
    d = decideOverload(d.state, sample(t0 + 100_000, { speed: 0.8, lagSeconds: 12 }), steps, opts);
    assert.equal(d.action.kind, "down");
    assert.equal(d.state.failedUps, 1);
    let s = decideOverload(d.state, sample(t0 + 110_000, { lagSeconds: 2, idleCores: 2, ffmpegCores: 0.5 }), steps, opts).state;
    assert.equal(decideOverload(s, sample(t0 + 175_000, { lagSeconds: 2, idleCores: 2, ffmpegCores: 0.5 }), steps, opts).action.kind, "none");
    s = decideOverload(s, sample(t0 + 175_000, { lagSeconds: 2, idleCores: 2, ffmpegCores: 0.5 }), steps, opts).state;
    assert.equal(decideOverload(s, sample(t0 + 231_000, { lagSeconds: 2, idleCores: 2, ffmpegCores: 0.5 }), steps, opts).action.kind, "up");
  });
});
