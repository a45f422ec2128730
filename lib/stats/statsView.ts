// Reading a session's statistics for its creator: what the dashboard and the owner
// API show. While the session is counting, peak and unique come from Redis.
import { db } from "../db.ts";
import { NotFoundError } from "../errors.ts";
import { SWEEP_EVERY_MS } from "../queue.ts";
import { isUuid } from "../channels.ts";
import { liveViewerFigures } from "../viewers.ts";
import { averageViewers, downsample, reconnectIncidents, sortIncidents, zipSamples, type Incident, type Sample } from "./series.ts";

/** Points of the dashboard's graph at most (peaks kept, see downsample). */
export const GRAPH_MAX_POINTS = 120;

export interface SessionStatsView {
  sessionId: string;
  /** The session is still on: the figures keep changing. */
  counting: boolean;
  /** From the start to the end (or to now, while on). */
  durationSeconds: number;
  sampleEverySeconds: number;
  peakViewers: number;
  /** Seconds into the session when the peak was first reached. */
  peakAt: number | null;
  averageViewers: number | null;
  uniqueViewers: number;
  chatMessages: number;
  averageBitrateKbps: number | null;
  reconnects: number;
  /** Reconnects, dropped frames, a slow encoder and a transcode that fell behind, in order. */
  incidents: Incident[];
  /** The viewer-count series, downsampled to `maxPoints` (its highest point kept). */
  samples: Sample[];
  /** Samples taken in all. */
  sampleCount: number;
}

const statsSelect = {
  sessionId: true,
  sampleOffsets: true,
  sampleViewers: true,
  peakViewers: true,
  peakAt: true,
  uniqueViewers: true,
  chatMessages: true,
  bitrateKbpsSum: true,
  bitrateSamples: true,
  incidents: true,
  closedAt: true,
  session: { select: { startedAt: true, endedAt: true, status: true, parts: { select: { index: true, startedAt: true, endedAt: true } } } },
} as const;

/** The statistics of these sessions that have any, by session id. */
export async function statsViews(sessionIds: string[], opts: { maxPoints?: number; now?: Date } = {}): Promise<Map<string, SessionStatsView>> {
  const out = new Map<string, SessionStatsView>();
  if (sessionIds.length === 0) return out;
  const now = opts.now ?? new Date();
  const rows = await db().sessionStats.findMany({ where: { sessionId: { in: sessionIds } }, select: statsSelect });
  for (const r of rows) {
    const counting = r.closedAt === null;
    let peak = r.peakViewers;
    let peakAtDate = r.peakAt;
    let unique = r.uniqueViewers;
    if (counting) {
      const live = await liveViewerFigures(r.sessionId);
      if (live.peak > peak) [peak, peakAtDate] = [live.peak, live.peakAt];
      unique = Math.max(unique, live.unique);
    }
    const all = zipSamples(r.sampleOffsets, r.sampleViewers);
    const start = r.session.startedAt;
    const end = r.session.endedAt ?? now;
    const reconnects = reconnectIncidents(r.session.parts, start);
    out.set(r.sessionId, {
      sessionId: r.sessionId,
      counting,
      durationSeconds: Math.max(0, Math.round((end.getTime() - start.getTime()) / 1000)),
      sampleEverySeconds: SWEEP_EVERY_MS / 1000,
      peakViewers: peak,
      peakAt: peakAtDate ? Math.max(0, Math.round((peakAtDate.getTime() - start.getTime()) / 1000)) : null,
      averageViewers: roundOne(averageViewers(all)),
      uniqueViewers: unique,
      chatMessages: r.chatMessages,
      averageBitrateKbps: r.bitrateSamples > 0 ? Math.round(r.bitrateKbpsSum / r.bitrateSamples) : null,
      reconnects: reconnects.length,
      incidents: sortIncidents([...reconnects, ...((r.incidents as unknown as Incident[]) ?? [])]),
      samples: Number.isFinite(opts.maxPoints ?? GRAPH_MAX_POINTS) ? downsample(all, opts.maxPoints ?? GRAPH_MAX_POINTS) : all,
      sampleCount: all.length,
    });
  }
  return out;
}

const roundOne = (n: number | null) => (n === null ? null : Math.round(n * 10) / 10);

export async function sessionStatsView(sessionId: string, opts: { maxPoints?: number } = {}): Promise<SessionStatsView | null> {
  return (await statsViews([sessionId], opts)).get(sessionId) ?? null;
}

/** For the session's channel owner only (authorised in the query); every sample. */
export async function ownerSessionStats(userId: string, sessionId: string): Promise<SessionStatsView> {
  if (!isUuid(sessionId)) throw new NotFoundError("Live session not found");
  const session = await db().liveSession.findFirst({ where: { id: sessionId, channel: { ownerId: userId } }, select: { id: true } });
  if (!session) throw new NotFoundError("Live session not found");
  const view = await sessionStatsView(session.id, { maxPoints: Infinity });
  if (!view) throw new NotFoundError("This session has no statistics (they are deleted with its replay).");
  return view;
}
