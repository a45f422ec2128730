// The ingest heartbeat: ingest writes one record per publisher connection (live
// part) every couple of seconds; the dashboard reads it for stream health, the
// workers for how far behind the live edge their transcode is, and the stale-
// session sweep for whether the publisher is still there. One type, one writer,
// one reader.
import { REDIS_KEY } from "./redisKeys.ts";
import { readJson, redis } from "./redis.ts";

export interface IngestStats {
  sessionId: string;
  partId: string;
  partIndex: number;
  /** Wall clock (ms) when the part's first media arrived. */
  connectedAt: number;
  width: number | null;
  height: number | null;
  /** Frame rate the encoder declared in its metadata. */
  declaredFps: number | null;
  /** Frame rate measured from timestamps over the last 10 s. */
  fps: number | null;
  videoCodec: string | null;
  audioCodec: string | null;
  bitrateKbps: number | null;
  keyframeIntervalSeconds: number | null;
  /** Newest media timestamp received (ms, on the publisher's timeline; transcodes compare their position with it). */
  receivedMediaMs: number | null;
  /** Media time the publisher sent per wall-clock time over the last 10 s; below 1 the encoder itself cannot keep up. */
  sendSpeed: number | null;
  /** Bytes of this part's source kept in ingest's spool. */
  spoolBytes: number;
  /** The publisher has left: receivedMediaMs is final. */
  finished: boolean;
  /** Wall clock of this record. */
  updatedAt: number;
}

export const INGEST_STATS_INTERVAL_MS = 2000;

/** The encoder sends media slower than real time: the computer running OBS is overloaded. */
export function encoderTooSlow(s: Pick<IngestStats, "sendSpeed">): boolean {
  return s.sendSpeed !== null && s.sendSpeed < 0.95;
}

/**
 * Frames arrive at under 90 % of the frame rate the encoder declared: it is dropping
 * frames before they reach us (OBS does when the upload cannot keep up). Returns the
 * share of frames that arrived, or null when nothing is missing (or nothing is known).
 */
export function framesArriving(s: Pick<IngestStats, "fps" | "declaredFps">): number | null {
  if (s.fps === null || !s.declaredFps) return null;
  const share = s.fps / s.declaredFps;
  return share < 0.9 ? Math.round(share * 100) / 100 : null;
}
/** A connected publisher's record lapses this long after ingest stops refreshing it (ingest died). */
const HEARTBEAT_TTL_SECONDS = 10;
/** A finished part's record stays for its transcode to learn where the source ends. */
const FINISHED_TTL_SECONDS = 6 * 3600;

export async function writeIngestStats(stats: IngestStats): Promise<void> {
  await redis().set(REDIS_KEY.ingestStats(stats.partId), JSON.stringify(stats), "EX", stats.finished ? FINISHED_TTL_SECONDS : HEARTBEAT_TTL_SECONDS);
}

/**
 * A restarted ingest found this part's spool on disk: the ingest that received it
 * died without reporting the publisher's exit, so its record still says "receiving".
 * Only the new process can say it is over, and how far the media on disk goes.
 */
export async function markFinishedAfterRestart(partId: string, receivedMediaMs: number | null): Promise<void> {
  const stats = await readIngestStats(partId);
  if (!stats || stats.finished) return;
  await writeIngestStats({ ...stats, receivedMediaMs, finished: true, updatedAt: Date.now() });
}

export function readIngestStats(partId: string): Promise<IngestStats | null> {
  return readJson<IngestStats>(REDIS_KEY.ingestStats(partId));
}

/** Ingest is still receiving this part: its heartbeat is fresh and the publisher has not left. */
export async function publisherAlive(partId: string): Promise<boolean> {
  const s = await readIngestStats(partId);
  return s !== null && !s.finished;
}
