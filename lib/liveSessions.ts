// The live-session state machine: live → reconnecting → live … → ended.
// The only module that changes a session's status; ingest, workers and web all
// call it. Its timers are delayed BullMQ jobs (Redis), never process memory, so
// restarting any process changes nothing.
import { config } from "./config.ts";
import { db } from "./db.ts";
import { NotFoundError } from "./errors.ts";
import { parseLadder, formatLadder } from "./ladder.ts";
import { logger } from "./log.ts";
import { enqueueChat, enqueueControl, enqueueSlate, enqueueTranscode, type ChatJob } from "./queue.ts";
import { publisherAlive } from "./ingestStats.ts";
import { redis } from "./redis.ts";
import { instanceDefaultLadder } from "./capacity.ts";
import { emitWebhookEvent } from "./webhooks/events.ts";
import { closeSessionStats, createSessionStats } from "./stats/sessionStats.ts";

export type LiveStatus = "live" | "reconnecting" | "ended";

export type LiveEvent =
  | { type: "publisherConnected" }
  | { type: "publisherDropped"; graceSeconds: number }
  | { type: "graceExpired" }
  | { type: "endRequested" };

export interface Transition {
  status: LiveStatus;
  newSession?: true;
  newPart?: true;
  /** Seconds until the reconnect window closes. */
  scheduleExpiry?: number;
  /** Close the playlists (and, later, build the replay). */
  finalize?: true;
  disconnectPublisher?: true;
}

/** Pure: what an event does in a state, or null when the event does not apply. */
export function transition(current: LiveStatus | null, event: LiveEvent): Transition | null {
  switch (event.type) {
    case "publisherConnected":
      if (current === null || current === "ended") return { status: "live", newSession: true, newPart: true };
      return { status: "live", newPart: true };
    case "publisherDropped":
      if (current !== "live") return null;
      return event.graceSeconds > 0
        ? { status: "reconnecting", scheduleExpiry: event.graceSeconds }
        : { status: "ended", finalize: true };
    case "graceExpired":
      return current === "reconnecting" ? { status: "ended", finalize: true } : null;
    case "endRequested":
      return current === "live" || current === "reconnecting"
        ? { status: "ended", finalize: true, disconnectPublisher: true }
        : null;
  }
}

/** Pub/sub channel ingest listens on, to drop a publisher when a session is ended from the dashboard.
 * (ioredis does not prefix channel names, so the prefix is added here.) */
export const controlChannel = () => `${config.redisPrefix}live-control`;

/** Asks every ingest to drop the session's publishers (ingest/main.ts listens on controlChannel). */
export async function disconnectPublishers(sessionId: string): Promise<void> {
  await redis().publish(controlChannel(), JSON.stringify({ type: "disconnect", sessionId }));
}

export interface MediaInfo {
  videoCodec: string | null;
  audioCodec: string | null;
  audioSampleRate: number | null;
  audioChannels: number | null;
  width: number | null;
  height: number | null;
  fps: number | null;
}

export interface ConnectedPart {
  sessionId: string;
  partId: string;
  partIndex: number;
  newSession: boolean;
  /** The session was reconnecting and goes on with this part. */
  resumed: boolean;
}

const log = logger("live");

/** Serialises all transitions of one channel: row lock on the channel. */
async function lockChannel(tx: any, channelId: string) {
  const rows = await tx.$queryRaw`SELECT id, reconnect_grace_seconds, ladder FROM channels WHERE id = ${channelId}::uuid FOR UPDATE`;
  if (rows.length === 0) throw new NotFoundError("Channel not found");
  return rows[0] as { id: string; reconnect_grace_seconds: number; ladder: string | null };
}

/** The session, read again after its channel is locked (so its status cannot change under us). */
async function lockedSession(tx: any, sessionId: string) {
  const session = await tx.liveSession.findUnique({ where: { id: sessionId }, select: { channelId: true } });
  if (!session) return null;
  await lockChannel(tx, session.channelId);
  return tx.liveSession.findUniqueOrThrow({ where: { id: sessionId } });
}

export async function publisherConnected(input: {
  channelId: string;
  streamKeyId: string | null;
  startedAt: Date;
  timelineOffsetMs: number;
  media: MediaInfo;
}): Promise<ConnectedPart> {
  const result = await db().$transaction(async (tx) => {
    const channel = await lockChannel(tx, input.channelId);
    const open = await tx.liveSession.findFirst({ where: { channelId: input.channelId, status: { not: "ended" } } });
    const t = transition(open?.status ?? null, { type: "publisherConnected" })!;
    let sessionId: string;
    if (t.newSession) {
      const created = await tx.liveSession.create({
        data: {
          channelId: input.channelId,
          status: "live",
          ladder: formatLadder(channel.ladder ? parseLadder(channel.ladder) : await instanceDefaultLadder()),
          segmentSeconds: config.hlsSegmentSeconds,
        },
      });
      sessionId = created.id;
      await createSessionStats(tx, sessionId);
    } else {
      sessionId = open!.id;
      await tx.liveSession.update({ where: { id: sessionId }, data: { status: "live" } });
      // A takeover while the previous connection is still open ends that part.
      await tx.livePart.updateMany({ where: { sessionId, endedAt: null }, data: { endedAt: input.startedAt } });
    }
    const last = await tx.livePart.findFirst({ where: { sessionId }, orderBy: { index: "desc" }, select: { index: true } });
    const part = await tx.livePart.create({
      data: {
        sessionId,
        index: (last?.index ?? -1) + 1,
        streamKeyId: input.streamKeyId,
        startedAt: input.startedAt,
        timelineOffsetMs: Math.round(input.timelineOffsetMs),
        // Where workers read this part's spool: the ingest the publisher reached.
        ingestUrl: config.ingestInternalUrl,
        ...input.media,
      },
    });
    return { sessionId, partId: part.id, partIndex: part.index, newSession: Boolean(t.newSession), resumed: open?.status === "reconnecting" };
  });
  await enqueueTranscode(result.partId);
  if (result.newSession || result.resumed) {
    await chatNotice({ kind: "notice", channelId: input.channelId, notice: result.newSession ? "live" : "resumed", ref: `${result.sessionId}-${result.partIndex}` });
  }
  // Webhooks only queue a job, and are not waited for.
  if (result.newSession) void emitWebhookEvent(input.channelId, "stream.started", result.sessionId, { sessionId: result.sessionId, startedAt: input.startedAt.toISOString() });
  else if (result.resumed) void emitWebhookEvent(input.channelId, "stream.resumed", `${result.sessionId}-${result.partIndex}`, { sessionId: result.sessionId, part: result.partIndex });
  return result;
}

/** The publisher of `partId` disconnected. Returns the session's new status. */
export async function publisherDropped(partId: string, at = new Date()): Promise<LiveStatus | null> {
  const part = await db().livePart.findUnique({ where: { id: partId }, include: { session: true } });
  if (!part) return null;
  const effect = await db().$transaction(async (tx) => {
    const channel = await lockChannel(tx, part.session.channelId);
    await tx.livePart.updateMany({ where: { id: partId, endedAt: null }, data: { endedAt: at } });
    const session = await tx.liveSession.findUniqueOrThrow({ where: { id: part.sessionId } });
    const latest = await tx.livePart.findFirst({ where: { sessionId: session.id }, orderBy: { index: "desc" } });
    // An older connection closing after a takeover changes nothing.
    if (latest?.id !== partId) return null;
    const t = transition(session.status, { type: "publisherDropped", graceSeconds: channel.reconnect_grace_seconds });
    if (!t) return null;
    await tx.liveSession.update({
      where: { id: session.id },
      data: { status: t.status, ...(t.status === "ended" ? { endedAt: at, endReason: "publisher-left" } : {}) },
    });
    return { t, sessionId: session.id, partIndex: part.index };
  });
  if (!effect) return null;
  await applyEffects(effect.sessionId, effect.t, effect.partIndex);
  return effect.t.status;
}

/** The reconnect window of `partIndex` ran out (a delayed job calls this). */
export async function graceExpired(sessionId: string, partIndex: number): Promise<LiveStatus | null> {
  const effect = await db().$transaction(async (tx) => {
    const fresh = await lockedSession(tx, sessionId);
    if (!fresh) return null;
    const latest = await tx.livePart.findFirst({ where: { sessionId }, orderBy: { index: "desc" } });
    // A reconnect since this timer was set: the timer is stale.
    if (latest && latest.index !== partIndex) return null;
    const t = transition(fresh.status, { type: "graceExpired" });
    if (!t) return null;
    await tx.liveSession.update({ where: { id: sessionId }, data: { status: "ended", endedAt: new Date(), endReason: "reconnect-window-expired" } });
    return t;
  });
  if (!effect) return null;
  await applyEffects(sessionId, effect, partIndex);
  return effect.status;
}

/** The creator ends the session (End stream). Authorised by channel ownership. */
export async function endSessionByOwner(userId: string, sessionId: string): Promise<LiveStatus | null> {
  const session = await db().liveSession.findFirst({ where: { id: sessionId, channel: { ownerId: userId } } });
  if (!session) throw new NotFoundError("Live session not found");
  return endSession(sessionId, "ended-by-creator");
}

export async function endSession(sessionId: string, reason: string): Promise<LiveStatus | null> {
  const effect = await db().$transaction(async (tx) => {
    const fresh = await lockedSession(tx, sessionId);
    if (!fresh) return null;
    const t = transition(fresh.status, { type: "endRequested" });
    if (!t) return null;
    const now = new Date();
    await tx.liveSession.update({ where: { id: sessionId }, data: { status: "ended", endedAt: now, endReason: reason } });
    await tx.livePart.updateMany({ where: { sessionId, endedAt: null }, data: { endedAt: now } });
    return t;
  });
  if (!effect) return null;
  await applyEffects(sessionId, effect, -1);
  return effect.status;
}

/** Chat is a side show: a Redis hiccup here must not fail a state change that already committed. */
async function chatNotice(job: Extract<ChatJob, { kind: "notice" }>): Promise<void> {
  await enqueueChat(job).catch((err) => log.warn("could not queue a chat notice", { notice: job.notice, error: String(err) }));
}

async function applyEffects(sessionId: string, t: Transition, partIndex: number): Promise<void> {
  if (t.status === "reconnecting" || t.status === "ended") {
    const s = await db().liveSession.findUnique({ where: { id: sessionId }, select: { channelId: true, startedAt: true, endedAt: true, endReason: true } });
    if (s) {
      await chatNotice({ kind: "notice", channelId: s.channelId, notice: t.status, ref: `${sessionId}-${partIndex}` });
      if (t.status === "reconnecting") {
        void emitWebhookEvent(s.channelId, "stream.reconnecting", `${sessionId}-${partIndex}`, { sessionId, part: partIndex, reconnectWindowSeconds: t.scheduleExpiry ?? 0 });
      } else {
        void emitWebhookEvent(s.channelId, "stream.ended", sessionId, { sessionId, startedAt: s.startedAt.toISOString(), endedAt: s.endedAt?.toISOString() ?? null, reason: s.endReason });
      }
    }
  }
  if (t.scheduleExpiry) {
    await enqueueControl({ kind: "grace-expired", sessionId, partIndex }, t.scheduleExpiry * 1000);
    await enqueueSlate({ sessionId, partIndex });
  }
  if (t.disconnectPublisher) await disconnectPublishers(sessionId);
  if (t.finalize) await enqueueControl({ kind: "finalize", sessionId });
  // Statistics are a side show too: the sweep closes them later if this fails.
  if (t.status === "ended") await closeSessionStats(sessionId).catch((err) => log.warn("could not close the session's statistics", { session: sessionId, error: String(err) }));
}

/** The session a channel shows right now (live or reconnecting), if any. */
export async function currentSession(channelId: string) {
  return db().liveSession.findFirst({
    where: { channelId, status: { not: "ended" } },
    include: { parts: { orderBy: { index: "desc" }, take: 1 } },
  });
}

/** How long a live part may go without an ingest heartbeat before it counts as dropped. */
export const INGEST_SILENCE_SECONDS = 20;

/**
 * Recovers sessions whose events were lost: a publisher whose ingest process
 * died (no clean disconnect ever reported), or a reconnect window whose expiry
 * job never ran. Runs periodically in the workers; safe to run anywhere, any
 * number of times.
 */
export async function sweepStaleSessions(now = new Date()): Promise<{ dropped: number; expired: number }> {
  let dropped = 0;
  let expired = 0;
  const open = await db().liveSession.findMany({
    where: { status: { not: "ended" } },
    include: { parts: { orderBy: { index: "desc" }, take: 1 }, channel: { select: { reconnectGraceSeconds: true } } },
  });
  for (const s of open) {
    const part = s.parts[0];
    if (!part) continue;
    if (s.status === "live" && !part.endedAt && now.getTime() - part.startedAt.getTime() > INGEST_SILENCE_SECONDS * 1000) {
      // ingest refreshes its heartbeat every 2 s while the publisher is connected
      if (!(await publisherAlive(part.id))) {
        await publisherDropped(part.id, now);
        dropped++;
      }
    } else if (s.status === "reconnecting" && part.endedAt) {
      const windowEnd = part.endedAt.getTime() + s.channel.reconnectGraceSeconds * 1000;
      if (now.getTime() > windowEnd + 10_000 && (await graceExpired(s.id, part.index))) expired++;
    }
  }
  return { dropped, expired };
}
