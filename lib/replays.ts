// Replays: exactly one per ended live session, whatever the number of parts.
// Built from the session's full segment lists (kept beside the live playlists),
// so making one costs a pass over a JSON list: no media is touched.
import { db } from "./db.ts";
import { NotFoundError, ValidationError } from "./errors.ts";
import { formatDate } from "./format.ts";
import { LivePlaylists, type MasterInfo } from "./hls/livePlaylists.ts";
import { config } from "./config.ts";
import { MEDIA_KEY, liveKey, mediaUrl } from "./media/layout.ts";
import { expiresAt } from "./media/retention.ts";
import { emptyPlaylist, renderMediaPlaylist, replayMasterPlaylist, type MediaPlaylist, type Segment } from "./hls/playlist.ts";
import type { MediaStore } from "./media/store.ts";
import { enqueueChat, enqueueExport } from "./queue.ts";
import { isUuid } from "./channels.ts";
import { LIMITS } from "./limits.ts";
import { emitWebhookEvent, publicLink } from "./webhooks/events.ts";

export interface ReplayMarker {
  /** Seconds into the replay. */
  at: number;
  gapSeconds: number;
  label: string;
}

/** The replay's segments of one rendition: parts joined in order, slate left out. */
export function replaySegments(pl: MediaPlaylist): Segment[] {
  const out: Segment[] = [];
  for (const s of pl.segments) {
    if (s.slate) continue;
    out.push({ ...s, discontinuity: out.length > 0 ? s.discontinuity : undefined });
  }
  return out;
}

/** Media missing inside one part (a transcode restart that could not resume exactly) longer than this is marked. */
const HOLE_MARK_SECONDS = 0.5;

/** A marker at each join (where the replay skips a stretch the publisher was gone), and at any hole inside a part. */
export function gapMarkers(segments: Segment[], parts: { index: number; startedAt: Date; endedAt: Date | null }[]): ReplayMarker[] {
  const markers: ReplayMarker[] = [];
  const sorted = [...parts].sort((a, b) => a.index - b.index);
  for (let i = 0; i + 1 < sorted.length; i++) {
    const ended = sorted[i].endedAt;
    if (!ended) continue;
    const gapSeconds = Math.max(0, Math.round((sorted[i + 1].startedAt.getTime() - ended.getTime()) / 1000));
    const at = segments.filter((s) => (s.part ?? 0) <= sorted[i].index).reduce((sum, s) => sum + s.duration, 0);
    markers.push({ at: Math.round(at * 10) / 10, gapSeconds, label: `connection lost for ${gapSeconds} s` });
  }
  let at = 0;
  for (let i = 0; i < segments.length; i++) {
    const prev = segments[i - 1];
    const s = segments[i];
    if (prev && prev.part === s.part && prev.programDateTime !== undefined && s.programDateTime !== undefined) {
      const hole = (s.programDateTime - (prev.programDateTime + prev.duration * 1000)) / 1000;
      if (hole > HOLE_MARK_SECONDS) {
        const rounded = Math.round(hole * 10) / 10;
        markers.push({ at: Math.round(at * 10) / 10, gapSeconds: rounded, label: `${rounded} s missing (transcoder restarted)` });
      }
    }
    at += s.duration;
  }
  return markers.sort((a, b) => a.at - b.at);
}

/**
 * The replay's playlists (each rendition's VOD playlist and the master), from the
 * session's closed playlists, all at once: the replay's row, made after them, is what
 * tells anyone the replay exists. Returns the top rendition's segments; writes nothing
 * when there are none (no replay will be made).
 */
export async function writeReplayPlaylists(store: MediaStore, sessionId: string, segmentSeconds: number, master: MasterInfo, closed: Map<string, MediaPlaylist>): Promise<Segment[]> {
  const bySegments = master.renditions.map((r) => replaySegments(closed.get(r.name) ?? emptyPlaylist(segmentSeconds)));
  if ((bySegments[0] ?? []).length === 0) return [];
  await Promise.all([
    ...master.renditions.map((r, i) => {
      const segments = bySegments[i];
      const vod: MediaPlaylist = { version: 1, targetDuration: segmentSeconds, firstSequence: 0, segments, ended: true };
      for (const s of segments) vod.targetDuration = Math.max(vod.targetDuration, Math.round(s.duration));
      return store.putText(MEDIA_KEY.vodPlaylist(sessionId, r.name), renderMediaPlaylist(vod, { playlistType: "VOD" }));
    }),
    store.putText(MEDIA_KEY.vodMaster(sessionId), replayMasterPlaylist(master.renditions)),
  ]);
  return bySegments[0];
}

/**
 * Called once the session's playlists are closed. Writes the VOD playlists (unless
 * the close already did: `playlistsWritten`) and the replay row (idempotent: a
 * repeated call finds the same replay). When the channel keeps no replays, removes
 * the session's media instead.
 */
export async function buildReplay(sessionId: string, store: MediaStore, known?: LivePlaylists, opts: { playlistsWritten?: boolean } = {}): Promise<string | null> {
  const session = await db().liveSession.findUnique({ where: { id: sessionId }, include: { parts: true, channel: true, replay: true } });
  if (!session || session.status !== "ended") return null;
  if (session.replay) return session.replay.id;
  if (!session.channel.keepReplays) {
    await store.deletePrefix(liveKey(sessionId));
    return null;
  }
  // The playlists the caller just closed, when it has them: no second read of each.
  const playlists = known ?? new LivePlaylists(store, sessionId, session.segmentSeconds);
  const master = await playlists.readMaster();
  if (!master) {
    // Ended before anything was playable: no replay, and no stray segments left behind.
    await store.deletePrefix(liveKey(sessionId));
    return null;
  }
  const closed = new Map(await Promise.all(master.renditions.map(async (r) => [r.name, await playlists.load(r.name)] as const)));
  const topSegments = opts.playlistsWritten
    ? replaySegments(closed.get(master.renditions[0]?.name ?? "") ?? emptyPlaylist(session.segmentSeconds))
    : await writeReplayPlaylists(store, sessionId, session.segmentSeconds, master, closed);
  if (topSegments.length === 0) return null;
  const duration = topSegments.reduce((sum, s) => sum + s.duration, 0);
  const replay = await db().replay.upsert({
    where: { sessionId },
    update: {},
    create: {
      sessionId,
      channelId: session.channelId,
      title: `${session.channel.title} — ${formatDate(session.startedAt)}`.slice(0, LIMITS.titleMax),
      durationSeconds: Math.round(duration * 100) / 100,
      markers: gapMarkers(topSegments, session.parts) as object[],
      renditions: master.renditions as unknown as object[],
    },
  });
  // Its size is measured by the export (and by the storage sweep, if the export never ends): a
  // listing of every segment is not worth making the replay wait for.
  await enqueueExport(replay.id);
  await enqueueChat({ kind: "notice", channelId: session.channelId, notice: "replay-ready", ref: replay.id, replayId: replay.id });
  void emitWebhookEvent(session.channelId, "replay.ready", replay.id, {
    replayId: replay.id,
    sessionId,
    title: replay.title,
    durationSeconds: replay.durationSeconds,
    url: publicLink(`/c/${session.channel.slug}/replays/${replay.id}`),
  });
  return replay.id;
}

/** The MP4 export of a replay succeeded (workers/replayExport.ts): tells the channel's webhooks. Never throws. */
export function replayExported(replay: { id: string; sessionId: string; channelId: string }, bytes: number): Promise<void> {
  // Media URLs are absolute already when media is served from a bucket or CDN (MEDIA_PUBLIC_URL).
  const absolute = (url: string) => (/^https?:\/\//.test(url) ? url : publicLink(url));
  return emitWebhookEvent(replay.channelId, "replay.exported", replay.id, {
    replayId: replay.id,
    sessionId: replay.sessionId,
    bytes,
    mp4Url: absolute(mediaUrl(MEDIA_KEY.mp4(replay.sessionId))),
    posterUrl: absolute(mediaUrl(MEDIA_KEY.poster(replay.sessionId))),
  });
}

const replayListing = {
  id: true,
  sessionId: true,
  title: true,
  durationSeconds: true,
  createdAt: true,
  hasPoster: true,
  exportStatus: true,
  exportProgress: true,
  markers: true,
} as const;

export async function listChannelReplays(channelId: string) {
  return db().replay.findMany({ where: { channelId }, orderBy: { createdAt: "desc" }, take: 50, select: replayListing });
}

export async function getPublicReplay(replayId: string) {
  if (!isUuid(replayId)) return null;
  return db().replay.findUnique({
    where: { id: replayId },
    select: {
      ...replayListing,
      thumbnailCount: true,
      thumbnailSeconds: true,
      exportBytes: true,
      channel: { select: { slug: true, title: true } },
      session: { select: { startedAt: true } },
    },
  });
}

async function ownedReplay(userId: string, replayId: string) {
  if (!isUuid(replayId)) throw new NotFoundError("Replay not found");
  const r = await db().replay.findFirst({ where: { id: replayId, channel: { ownerId: userId } } });
  if (!r) throw new NotFoundError("Replay not found");
  return r;
}

export async function listOwnerReplays(userId: string, channelId: string) {
  const channel = await db().channel.findFirst({ where: { id: channelId, ownerId: userId }, select: { id: true, replayRetentionDays: true } });
  if (!channel) throw new NotFoundError("Channel not found");
  const rows = await db().replay.findMany({
    where: { channelId },
    orderBy: { createdAt: "desc" },
    take: 50,
    select: { ...replayListing, exportError: true, exportBytes: true, storageBytes: true },
  });
  return rows.map((r) => ({
    ...r,
    exportBytes: r.exportBytes === null ? null : Number(r.exportBytes),
    storageBytes: r.storageBytes === null ? null : Number(r.storageBytes),
    /** When retention deletes it (null: kept until deleted, or until the budget needs the room). */
    expiresAt: expiresAt(r.createdAt, channel.replayRetentionDays, config.replayRetentionDays),
    mp4Url: mediaUrl(MEDIA_KEY.mp4(r.sessionId)),
  }));
}

export async function renameReplay(userId: string, replayId: string, title: unknown) {
  const t = typeof title === "string" ? title.trim() : "";
  if (!t) throw new ValidationError({ title: "Title is required." });
  if (t.length > LIMITS.titleMax) throw new ValidationError({ title: `Title must be at most ${LIMITS.titleMax} characters.` });
  const r = await ownedReplay(userId, replayId);
  return db().replay.update({ where: { id: r.id }, data: { title: t }, select: replayListing });
}

/** Deletes the replay and its files (segments, playlists, MP4, images). */
export async function deleteReplay(userId: string, replayId: string, store: MediaStore): Promise<void> {
  const r = await ownedReplay(userId, replayId);
  await removeReplay(r.id, store);
}

/** Records how many bytes a replay keeps in the store (for the budget and the dashboard). */
export async function measureReplay(replayId: string, sessionId: string, store: MediaStore): Promise<number> {
  const bytes = (await store.list(liveKey(sessionId))).reduce((sum, o) => sum + o.size, 0);
  await db().replay.updateMany({ where: { id: replayId }, data: { storageBytes: BigInt(bytes) } });
  return bytes;
}

/** Deletes a replay and its media, whoever asks (the owner, retention, the budget). */
export async function removeReplay(replayId: string, store: MediaStore): Promise<boolean> {
  const r = await db().replay.findUnique({ where: { id: replayId }, select: { sessionId: true } });
  if (!r) return false;
  // The row goes first: the media stops being served at once, and a crash mid-delete leaves only files the purge finds.
  await db().replay.deleteMany({ where: { id: replayId } });
  await store.deletePrefix(liveKey(r.sessionId));
  return true;
}

/** Removes every file of sessions whose rows are gone (live segments, replay, MP4, poster, thumbnails). */
export async function purgeSessionMedia(sessionIds: string[], store: MediaStore): Promise<void> {
  const still = await db().liveSession.findMany({ where: { id: { in: sessionIds } }, select: { id: true } });
  const kept = new Set(still.map((s) => s.id));
  for (const id of sessionIds) if (!kept.has(id)) await store.deletePrefix(liveKey(id));
}
