// Where a moment of the live session lands in its replay. The replay joins the
// session's parts with the gaps between them left out (lib/replays.ts
// replaySegments), and every segment carries the ingest wall clock of its first
// frame (PROGRAM-DATE-TIME). A chat message's server timestamp is a wall clock
// too, so it maps to "seconds into the replay" through the segments:
//   - inside a stretch of media: the same distance into the replay;
//   - in a gap (a reconnect, or a hole a restarted transcode left): where the
//     replay resumes, i.e. at the gap's marker;
//   - before the first segment: 0 (where the first timed segment starts); after
//     the last: the end.
// Pure and dependency-free: the chat replay API and the tests use it.

/** A stretch of the replay where media runs with the wall clock. */
export interface TimelineRun {
  /** Wall clock (ms since the epoch) of the run's first frame. */
  wallStart: number;
  /** Seconds into the replay where the run starts. */
  at: number;
  /** How long the run lasts, in seconds. */
  seconds: number;
}

/** Runs in replay order; their wall clocks never go backwards. */
export type ReplayTimeline = readonly TimelineRun[];

/** What the mapping needs of a replay segment (lib/hls/playlist.ts Segment). */
export interface TimedSegment {
  duration: number;
  programDateTime?: number;
}

/**
 * A segment whose program-date-time is within this of where the current run
 * predicts it continues that run; beyond it, the media jumped (a gap).
 */
const CONTINUES_WITHIN_MS = 250;

/** The replay's runs, from its segments in order (slate already left out). */
export function replayTimeline(segments: readonly TimedSegment[]): TimelineRun[] {
  const runs: TimelineRun[] = [];
  let at = 0;
  for (const s of segments) {
    const last = runs.at(-1);
    const pdt = s.programDateTime;
    if (last && (pdt === undefined || Math.abs(pdt - (last.wallStart + (at - last.at) * 1000)) <= CONTINUES_WITHIN_MS)) {
      last.seconds += s.duration;
    } else if (pdt !== undefined) {
      // A clock that stepped back (between parts, say) must not make the mapping go backwards.
      const lastEnd = last ? last.wallStart + last.seconds * 1000 : -Infinity;
      runs.push({ wallStart: Math.max(pdt, lastEnd), at, seconds: s.duration });
    }
    at += s.duration;
  }
  return runs;
}

/** Index of the last run whose `key` is at or before `value` (runs are in order of both), or -1. */
function lastRunAtOrBefore(timeline: ReplayTimeline, key: "wallStart" | "at", value: number): number {
  let lo = 0;
  let hi = timeline.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (timeline[mid][key] <= value) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Seconds into the replay at which something that happened at wall clock `ts` (ms) shows. */
export function replayOffset(ts: number, timeline: ReplayTimeline): number {
  if (!timeline.length) return 0;
  const run = timeline[Math.max(0, lastRunAtOrBefore(timeline, "wallStart", ts))];
  return run.at + Math.min(run.seconds, Math.max(0, (ts - run.wallStart) / 1000));
}

/** The replay's length according to its timeline. */
export function timelineEnd(timeline: ReplayTimeline): number {
  const last = timeline.at(-1);
  return last ? last.at + last.seconds : 0;
}

/**
 * The latest wall clock (ms) whose moment shows at or before `offset` seconds
 * into the replay: replayOffset(ts) <= offset exactly when ts <= wallClockAt(offset).
 * -Infinity below 0, Infinity from the end on (everything has shown by then).
 */
export function wallClockAt(offset: number, timeline: ReplayTimeline): number {
  if (!timeline.length) return offset >= 0 ? Infinity : -Infinity;
  if (offset < timeline[0].at) return -Infinity;
  if (offset >= timelineEnd(timeline)) return Infinity;
  const run = timeline[lastRunAtOrBefore(timeline, "at", offset)];
  return run.wallStart + (offset - run.at) * 1000;
}
