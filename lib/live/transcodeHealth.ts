// How a session's live transcode is keeping up: written by the worker running
// it every couple of seconds, read by the dashboard (and by a worker taking the
// session over, which starts from the same overload step). One type, one key.
import { REDIS_KEY } from "../redisKeys.ts";
import { readJson, redis } from "../redis.ts";

export interface OverloadChange {
  at: number;
  /** What the worker did, for the creator: "x264 preset veryfast → superfast". */
  what: string;
  /** Why, with the measurement: "transcoding ran at 0.81× real time, 9 s behind". */
  why: string;
  direction: "down" | "up";
}

export interface TranscodeHealth {
  sessionId: string;
  partIndex: number;
  updatedAt: number;
  /** Media seconds transcoded per wall-clock second over the last ~10 s (null until measured). */
  speed: number | null;
  /** How far the transcode is behind the newest media ingest received, in seconds. */
  lagSeconds: number | null;
  /** Behind by more than the pipeline normally is: viewers see the stream late. */
  behind: boolean;
  /** The publisher has left and the transcode is working through what it sent. */
  draining: boolean;
  mode: "degrade" | "warn";
  /** Overload step in force (0: the configured ladder and preset). */
  level: number;
  preset: string;
  /** Renditions encoded now; the others are fed from the best encoded one below them. */
  encoded: string[];
  dropped: string[];
  changes: OverloadChange[];
}

const TTL_SECONDS = 60;

export async function writeTranscodeHealth(h: TranscodeHealth): Promise<void> {
  await redis().set(REDIS_KEY.transcodeHealth(h.sessionId), JSON.stringify(h), "EX", TTL_SECONDS);
}

export function readTranscodeHealth(sessionId: string): Promise<TranscodeHealth | null> {
  return readJson<TranscodeHealth>(REDIS_KEY.transcodeHealth(sessionId));
}

/** Lag beyond which the transcode counts as behind: the normal pipeline holds about one segment. */
export function behindThresholdSeconds(segmentSeconds: number): number {
  return 2 * segmentSeconds + 3;
}

/** The dashboard's sentence about a transcode that is behind or was changed to keep up. */
export function describeHealth(h: TranscodeHealth): { warning: string | null; changes: string | null } {
  let warning: string | null = null;
  if (h.behind && h.lagSeconds !== null) {
    const speed = h.speed !== null ? `${h.speed.toFixed(2)}× real time` : "slower than real time";
    warning =
      `The server cannot keep up: transcoding ${speed}, ${Math.round(h.lagSeconds)} s behind. Viewers see the stream late; nothing is lost. ` +
      (h.mode === "degrade"
        ? "Livehouse is stepping down to a faster encoder setting and fewer qualities until it keeps up. "
        : "Automatic stepping down is off (TRANSCODE_OVERLOAD=warn). ") +
      "To fix it for good: use a smaller quality ladder in the channel settings, add a worker on another machine, or lower the resolution or frame rate in your encoder.";
  }
  const last = h.changes.at(-1);
  const changes = h.level > 0 && last
    ? `To keep up, the transcode now uses x264 ${h.preset}${h.dropped.length ? ` without ${h.dropped.join(", ")} (viewers of ${h.dropped.length > 1 ? "those get" : "it get"} the next quality down)` : ""}. ` +
      `Last change: ${last.what}, because ${last.why}.`
    : null;
  return { warning, changes };
}
