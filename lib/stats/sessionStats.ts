// Recording a live session's statistics in PostgreSQL (session_stats):
//  - a row when the session starts (liveSessions.ts, in the same transaction);
//  - a sample every sweep (workers/sweep.ts, every SWEEP_EVERY_MS; BullMQ runs one
//    sweep per period whatever the number of workers, and the row lock plus a minimum
//    gap between samples make a repeated or overlapping sweep add nothing);
//  - chat messages as the appservice counts them (chat/store.ts);
//  - at the end, the final unique and peak counts from Redis (viewers.ts), and once the
//    session is off the air, every per-session viewer key in Redis is deleted.
import { db } from "../db.ts";
import { encoderTooSlow, framesArriving, readIngestStats } from "../ingestStats.ts";
import { readTranscodeHealth } from "../live/transcodeHealth.ts";
import { logger } from "../log.ts";
import { SWEEP_EVERY_MS } from "../queue.ts";
import { closeViewerCounting, currentViewers, forgetViewers, keepViewerState, liveViewerFigures, type ViewerFigures } from "../viewers.ts";
import { acceptsSample, closeIncidents, trackIncidents, type Incident, type Observation } from "./series.ts";

const log = logger("stats");

/** Samples closer than this to the previous one are not taken (a sweep that ran twice). */
export const SAMPLE_MIN_GAP_SECONDS = Math.round(SWEEP_EVERY_MS / 3000);
/** Transcode health older than this says nothing about now (its worker is gone). */
const HEALTH_FRESH_MS = 10_000;
/** Viewer keys are deleted this long after the playlists close: a heartbeat in flight then finds nothing to add to. */
const OFF_AIR_SETTLE_MS = 10_000;

type Tx = Parameters<Parameters<ReturnType<typeof db>["$transaction"]>[0]>[0];

/** The session's statistics row; called in the transaction that creates the session. */
export async function createSessionStats(tx: Tx, sessionId: string): Promise<void> {
  await tx.sessionStats.create({ data: { sessionId } });
}

const secondsInto = (startedAt: Date, at: Date) => Math.max(0, Math.round((at.getTime() - startedAt.getTime()) / 1000));

interface SampleInput {
  at: number;
  viewers: number;
  observed: Observation[];
  bitrateKbps: number | null;
  peak: ViewerFigures;
  now: Date;
}

/**
 * Runs `change` on the locked row (made if missing: a session older than the table).
 * Returns false when the session is gone.
 */
async function withStatsRow(sessionId: string, change: (row: { last: number | null; incidents: Incident[] }, tx: Tx) => Promise<void>): Promise<boolean> {
  return db().$transaction(async (tx) => {
    const exists = await tx.liveSession.count({ where: { id: sessionId } });
    if (!exists) return false;
    await tx.$executeRaw`INSERT INTO session_stats (session_id) VALUES (${sessionId}::uuid) ON CONFLICT (session_id) DO NOTHING`;
    const rows = await tx.$queryRaw<{ last: number | null; incidents: Incident[] }[]>`
      SELECT sample_offsets[cardinality(sample_offsets)] AS last, incidents FROM session_stats WHERE session_id = ${sessionId}::uuid FOR UPDATE`;
    if (!rows[0]) return false;
    await change(rows[0], tx);
    return true;
  });
}

/** Raises the stored peak to `peak` (kept with the time it was first reached). */
async function raisePeak(tx: Tx, sessionId: string, peak: number, at: Date): Promise<void> {
  await tx.$executeRaw`UPDATE session_stats SET peak_viewers = ${peak}, peak_at = ${at} WHERE session_id = ${sessionId}::uuid AND peak_viewers < ${peak}`;
}

async function appendSample(sessionId: string, s: SampleInput): Promise<boolean> {
  let taken = false;
  await withStatsRow(sessionId, async (row, tx) => {
    if (!acceptsSample(row.last ?? undefined, s.at, SAMPLE_MIN_GAP_SECONDS)) return;
    await tx.sessionStats.update({
      where: { sessionId },
      data: {
        sampleOffsets: { push: s.at },
        sampleViewers: { push: s.viewers },
        incidents: trackIncidents(row.incidents, s.observed, s.at) as object[],
        ...(s.bitrateKbps ? { bitrateKbpsSum: { increment: s.bitrateKbps }, bitrateSamples: { increment: 1 } } : {}),
      },
    });
    // The heartbeats' peak; a sample can see a viewer a moment before that heartbeat records it.
    if (s.viewers > s.peak.peak) await raisePeak(tx, sessionId, s.viewers, s.now);
    else if (s.peak.peak > 0) await raisePeak(tx, sessionId, s.peak.peak, s.peak.peakAt ?? s.now);
    taken = true;
  });
  return taken;
}

/** What ingest and the transcode say is wrong right now, as incident observations. */
async function observe(sessionId: string, partId: string | undefined, live: boolean, now: Date): Promise<{ observed: Observation[]; bitrateKbps: number | null }> {
  const [ingest, health] = await Promise.all([live && partId ? readIngestStats(partId) : null, readTranscodeHealth(sessionId)]);
  const observed: Observation[] = [];
  const receiving = ingest && !ingest.finished ? ingest : null;
  if (receiving) {
    const share = framesArriving(receiving);
    if (share !== null) observed.push({ kind: "frames-dropped", value: share });
    if (encoderTooSlow(receiving)) observed.push({ kind: "encoder-slow", value: receiving.sendSpeed! });
  }
  if (health && now.getTime() - health.updatedAt < HEALTH_FRESH_MS && health.behind && !health.draining && health.lagSeconds !== null) {
    observed.push({ kind: "transcode-behind", value: Math.round(health.lagSeconds * 10) / 10 });
  }
  return { observed, bitrateKbps: receiving?.bitrateKbps ?? null };
}

/** One sample of every session on the air (live or reconnecting). Returns how many were taken. */
export async function sampleLiveSessions(now = new Date()): Promise<number> {
  const sessions = await db().liveSession.findMany({
    where: { status: { not: "ended" } },
    select: { id: true, status: true, startedAt: true, parts: { orderBy: { index: "desc" }, take: 1, select: { id: true } } },
  });
  let taken = 0;
  for (const s of sessions) {
    try {
      await keepViewerState(s.id);
      const [viewers, peak, seen] = await Promise.all([currentViewers(s.id, now.getTime()), liveViewerFigures(s.id), observe(s.id, s.parts[0]?.id, s.status === "live", now)]);
      if (await appendSample(s.id, { at: secondsInto(s.startedAt, now), viewers, peak, now, ...seen })) taken++;
    } catch (err) {
      log.warn("could not sample a live session's statistics", { session: s.id, error: String(err) });
    }
  }
  return taken;
}

/**
 * The session has ended: stores its final unique and peak counts (heartbeats stop
 * adding to them), a last sample at the end, and closes open incidents. Safe to
 * repeat; the state machine calls it at the end and the sweep again if that failed.
 */
export async function closeSessionStats(sessionId: string, now = new Date()): Promise<void> {
  const session = await db().liveSession.findUnique({ where: { id: sessionId }, select: { status: true, startedAt: true, endedAt: true } });
  if (!session || session.status !== "ended") return;
  const endedAt = session.endedAt ?? now;
  const counted = await closeViewerCounting(sessionId);
  // The count at the end, while it still is the end (not when a late sweep closes it).
  if (now.getTime() - endedAt.getTime() < SWEEP_EVERY_MS) {
    const viewers = await currentViewers(sessionId, endedAt.getTime());
    await appendSample(sessionId, { at: secondsInto(session.startedAt, endedAt), viewers, observed: [], bitrateKbps: null, peak: counted, now: endedAt });
  }
  const stored = await withStatsRow(sessionId, async (row, tx) => {
    if (counted.peak > 0) await raisePeak(tx, sessionId, counted.peak, counted.peakAt ?? endedAt);
    await tx.$executeRaw`
      UPDATE session_stats SET unique_viewers = GREATEST(unique_viewers, ${counted.unique}), incidents = ${JSON.stringify(closeIncidents(row.incidents))}::jsonb,
        closed_at = COALESCE(closed_at, ${now}) WHERE session_id = ${sessionId}::uuid`;
  });
  if (stored) await counted.drop();
}

/**
 * Sweep: closes ended sessions whose close was lost, and once a session is off the
 * air (its playlists closed, or `onAirMaxMs` after its end: liveStatus's
 * FINISHING_MAX_MS) deletes every per-session viewer key from Redis, salt among them.
 */
export async function finalizeEndedSessions(onAirMaxMs: number, now = new Date()): Promise<number> {
  const rows = await db().sessionStats.findMany({
    where: { finalizedAt: null, session: { status: "ended" } },
    select: { sessionId: true, closedAt: true, session: { select: { endedAt: true, playlistsClosedAt: true } } },
    take: 200,
  });
  let done = 0;
  for (const r of rows) {
    try {
      if (!r.closedAt) await closeSessionStats(r.sessionId, now);
      const closed = r.session.playlistsClosedAt;
      const offAir = (closed && now.getTime() - closed.getTime() >= OFF_AIR_SETTLE_MS) || (r.session.endedAt && now.getTime() - r.session.endedAt.getTime() > onAirMaxMs);
      if (!offAir) continue;
      await forgetViewers(r.sessionId);
      await db().sessionStats.updateMany({ where: { sessionId: r.sessionId }, data: { finalizedAt: now } });
      done++;
    } catch (err) {
      log.warn("could not finish a session's statistics", { session: r.sessionId, error: String(err) });
    }
  }
  return done;
}
