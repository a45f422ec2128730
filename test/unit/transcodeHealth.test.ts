import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chooseLadder, ladderCandidates } from "../../lib/capacity.ts";
import { classifyFfmpegFailure, failureMessage } from "../../lib/ffmpeg/failures.ts";
import { formatLadder } from "../../lib/ladder.ts";
import { describeHealth, type TranscodeHealth } from "../../lib/live/transcodeHealth.ts";
import { parseStatsLine } from "../../workers/ffmpegRunner.ts";
import { ProgressMonitor } from "../../workers/live/progressMonitor.ts";
import type { IngestStats } from "../../lib/ingestStats.ts";

describe("ffmpeg stats lines", () => {
  it("reads media time and speed, and ignores other lines", () => {
    assert.deepEqual(parseStatsLine("frame=  310 fps= 29 q=20.0 size=N/A time=00:01:02.50 bitrate=N/A speed=0.851x", 5), { mediaSeconds: 62.5, speed: 0.851, at: 5 });
    assert.deepEqual(parseStatsLine("size=     256kB time=00:00:03.00 bitrate= 698.9kbits/s speed= 181x", 1), { mediaSeconds: 3, speed: 181, at: 1 });
    assert.equal(parseStatsLine("[libx264 @ 0x5] frame I:3"), null);
    assert.equal(parseStatsLine("Input #0, flv, from 'http://…':"), null);
  });
});

describe("transcode progress", () => {
  const stats = (receivedMediaMs: number, updatedAt: number, finished = false): IngestStats =>
    ({ receivedMediaMs, updatedAt, finished, sendSpeed: 1 }) as IngestStats;

  it("speed over the last seconds, and lag behind what ingest received (extrapolated while the publisher sends)", () => {
    const m = new ProgressMonitor();
    m.newRun(100);
    const t0 = 1_000_000;
    for (let i = 0; i <= 10; i++) m.onProgress({ mediaSeconds: i * 0.8, speed: null, at: t0 + i * 1000 });
    assert.ok(Math.abs(m.speed(t0 + 10_000)! - 0.8) < 0.01);
    assert.equal(m.position(), 108);
    assert.equal(m.lag(stats(115_000, t0 + 9000), t0 + 10_000), 8, "115 s received a second ago ≈ 116 s now");
    assert.equal(m.lag(stats(115_000, t0 + 9000, true), t0 + 10_000), 7, "finished: no extrapolation");
    // ffmpeg stalls (no reports): speed falls towards 0
    assert.ok(m.speed(t0 + 16_000)! < 0.5);
    m.firstSegmentAt(99.5);
    assert.equal(m.position(), 107.5, "the run's first segment fixes where its media starts");
  });
});

describe("failures", () => {
  it("tells apart a source we cannot decode, a gone spool, a newer attempt and the rest", () => {
    assert.equal(classifyFfmpegFailure(["[http @ 0x1] HTTP error 404 Not Found", "Server returned 404 Not Found"]).kind, "source-gone");
    assert.equal(classifyFfmpegFailure(["Server returned 409 Conflict"]).kind, "superseded");
    assert.equal(classifyFfmpegFailure(["Decoder (codec vp6f) not found for input stream #0:0"]).kind, "unsupported");
    assert.equal(classifyFfmpegFailure(["Stream map '[t0]' matches no streams."]).kind, "unsupported");
    assert.equal(classifyFfmpegFailure(["Connection reset by peer"]).kind, "transient");
    assert.match(failureMessage("Livehouse cannot decode the stream's format", ["Decoder (codec vp6f) not found"]), /cannot decode.*vp6f.*H\.264/);
  });
});

describe("default ladder from capacity", () => {
  it("keeps the richest candidate that runs fast enough", () => {
    const c = ladderCandidates().map(formatLadder);
    assert.deepEqual(c, ["1080p30@6000k|720p30@2500k|480p30@1200k|360p30@800k", "720p30@2500k|480p30@1200k|360p30@800k", "480p30@1200k|360p30@800k", "360p30@800k"]);
    assert.equal(chooseLadder([{ ladder: c[0], speed: 0.8 }, { ladder: c[1], speed: 1.45 }]), c[1]);
    assert.equal(chooseLadder([{ ladder: c[0], speed: 2.1 }]), c[0]);
    assert.equal(chooseLadder(c.map((ladder) => ({ ladder, speed: 0.5 }))), c[3], "the cheapest when none is fast enough");
  });
});

describe("dashboard health text", () => {
  it("says how far behind, how fast, what was changed and why", () => {
    const h: TranscodeHealth = {
      sessionId: "s", partIndex: 0, updatedAt: 0, speed: 0.81, lagSeconds: 12.4, behind: true, draining: false, mode: "degrade",
      level: 2, preset: "superfast", encoded: ["720p30", "480p30"], dropped: ["1080p30"],
      changes: [{ at: 0, what: "dropped 1080p30", why: "transcoding ran at 0.81× real time, 12 s behind", direction: "down" }],
    };
    const d = describeHealth(h);
    assert.match(d.warning!, /transcoding 0\.81× real time, 12 s behind/);
    assert.match(d.changes!, /x264 superfast without 1080p30.*dropped 1080p30, because transcoding ran at 0\.81×/);
    assert.deepEqual(describeHealth({ ...h, behind: false, level: 0 }), { warning: null, changes: null });
  });
});
