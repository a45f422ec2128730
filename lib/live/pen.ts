// The playlist writer's pen: who may append to a live session's playlists.
// Exactly one holder at a time, recorded in Redis with a TTL its holder renews:
//   - the transcode of one live part (one attempt of it: part index, part id, epoch), or
//   - the slate job playing "be right back" while the session is reconnecting.
// Every change to the pen and to the playlists happens under the session's
// playlists lock. Rules:
//   - A transcode takes the pen only once every earlier part of the session has
//     all its media listed (parts never interleave, whatever their speed), and
//     takes it from the slate, from nobody, or from an older attempt of its part.
//   - The slate takes it only from nobody or from another slate.
//   - Whoever releases the pen last after the session ended closes the playlists
//     (EXT-X-ENDLIST) and makes the replay; so does the finalize job or the sweep
//     when nobody holds it. Playlists close only when every part's media is listed.
import { db } from "../db.ts";
import { LivePlaylists } from "../hls/livePlaylists.ts";
import type { MediaStore } from "../media/store.ts";
import { REDIS_KEY } from "../redisKeys.ts";
import { redis } from "../redis.ts";
import { buildReplay, writeReplayPlaylists } from "../replays.ts";

export type PenHolder = { kind: "transcode"; partIndex: number; partId: string; epoch: number } | { kind: "slate"; id: string };

const PEN_TTL_SECONDS = 15;
/** Holders renew this often; a holder silent for PEN_TTL_SECONDS has died and lost the pen. */
export const PEN_RENEW_MS = 5000;

export function penValue(h: PenHolder): string {
  return h.kind === "transcode" ? `transcode:${h.partIndex}:${h.partId}:${h.epoch}` : `slate:${h.id}`;
}

export function parsePen(v: string | null): PenHolder | null {
  if (!v) return null;
  const t = /^transcode:(\d+):([0-9a-f-]{36}):(\d+)$/.exec(v);
  if (t) return { kind: "transcode", partIndex: Number(t[1]), partId: t[2], epoch: Number(t[3]) };
  if (v.startsWith("slate:")) return { kind: "slate", id: v.slice(6) };
  return null;
}

/** Pure: may `me` take the pen now held by `current`? */
export function mayTakePen(me: PenHolder, current: PenHolder | null, earlierPartsListed: boolean): boolean {
  if (me.kind === "slate") return current === null || current.kind === "slate";
  if (!earlierPartsListed) return false;
  if (current === null || current.kind === "slate") return true;
  if (current.partId === me.partId) return current.epoch < me.epoch;
  return current.partIndex < me.partIndex;
}

const RENEW = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("expire", KEYS[1], ARGV[2]) else return 0 end`;

export class Pen {
  private readonly key: string;
  private readonly value: string;

  constructor(
    readonly playlists: LivePlaylists,
    readonly me: PenHolder,
  ) {
    this.key = REDIS_KEY.playlistPen(playlists.sessionId);
    this.value = penValue(me);
  }

  async holder(): Promise<PenHolder | null> {
    return parsePen(await redis().get(this.key));
  }

  /** Takes the pen if the rules allow it now. */
  async tryTake(): Promise<boolean> {
    return this.playlists.lock(async () => {
      const current = await this.holder();
      if (current && penValue(current) === this.value) return true;
      const earlier = this.me.kind === "transcode" ? await earlierPartsListed(this.playlists.sessionId, this.me.partIndex) : true;
      if (!mayTakePen(this.me, current, earlier)) return false;
      await redis().set(this.key, this.value, "EX", PEN_TTL_SECONDS);
      // Whoever held it before may have written: this writer's copies are stale.
      this.playlists.forget();
      return true;
    });
  }

  /** Keeps the pen alive; false when it has been taken over (the holder must stop writing). */
  async renew(): Promise<boolean> {
    return (await redis().eval(RENEW, 1, this.key, this.value, String(PEN_TTL_SECONDS))) === 1;
  }

  /** Runs `fn` under the playlists lock if this holder still has the pen; null otherwise. */
  async whileHeld<T>(fn: () => Promise<T>): Promise<T | null> {
    return this.playlists.lock(async () => {
      if ((await redis().get(this.key)) !== this.value) return null;
      const out = await fn();
      await redis().expire(this.key, PEN_TTL_SECONDS);
      return out;
    });
  }

  /** Gives the pen back; closes the playlists and makes the replay if the session is over. */
  async release(store: MediaStore): Promise<void> {
    await this.playlists.lock(async () => {
      if ((await redis().get(this.key)) === this.value) await redis().del(this.key);
    });
    await closePlaylistsIfEnded(this.playlists.sessionId, store);
  }
}

async function earlierPartsListed(sessionId: string, partIndex: number): Promise<boolean> {
  const pending = await db().livePart.count({ where: { sessionId, index: { lt: partIndex }, transcodeDoneAt: null } });
  return pending === 0;
}

export type CloseOutcome = "closed" | "already-closed" | "not-ended" | "pen-held" | "parts-pending" | "no-session";

/**
 * Ends a finished session's playlists (EXT-X-ENDLIST) once nothing more can be
 * listed: the session has ended, nobody holds the pen, and every part's media
 * is listed. Then makes the replay. Safe to call any number of times, anywhere.
 */
export async function closePlaylistsIfEnded(sessionId: string, store: MediaStore, opts: { force?: boolean } = {}): Promise<CloseOutcome> {
  const session = await db().liveSession.findUnique({ where: { id: sessionId }, select: { status: true, segmentSeconds: true, playlistsClosedAt: true, channel: { select: { keepReplays: true } }, replay: { select: { id: true } } } });
  if (!session) return "no-session";
  if (session.status !== "ended") return "not-ended";
  const playlists = new LivePlaylists(store, sessionId, session.segmentSeconds);
  let writeReplay = false;
  const outcome = await playlists.lock(async (): Promise<CloseOutcome> => {
    const fresh = await db().liveSession.findUniqueOrThrow({ where: { id: sessionId }, select: { playlistsClosedAt: true } });
    if (fresh.playlistsClosedAt) return "already-closed";
    if (await redis().get(REDIS_KEY.playlistPen(sessionId))) return "pen-held";
    if (!opts.force && (await db().livePart.count({ where: { sessionId, transcodeDoneAt: null } })) > 0) return "parts-pending";
    // The replay's playlists go up with the closed ones: one round of writes, not two.
    writeReplay = session.channel.keepReplays && !session.replay;
    await playlists.end(writeReplay ? (master, closed) => writeReplayPlaylists(store, sessionId, session.segmentSeconds, master, closed) : undefined);
    await db().liveSession.update({ where: { id: sessionId }, data: { playlistsClosedAt: new Date() } });
    return "closed";
  });
  if (outcome === "closed" || outcome === "already-closed") {
    await buildReplay(sessionId, store, playlists, { playlistsWritten: writeReplay });
    await playlists.dropCopy();
  }
  return outcome;
}
