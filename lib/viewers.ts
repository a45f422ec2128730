// Who watches a live session: the heartbeats of channel pages (and of WebRTC
// players on the edge) make its concurrent count, its peak and its unique viewers.
//
// Privacy: a client address is only ever used as HMAC(session salt, address), and
// the salt is a random secret of that session kept in Redis alone; it is deleted
// with every other per-session viewer key once the session is over (see
// forgetViewers), which leaves the hashes that were made with it unlinkable to any
// address. Unique viewers are a HyperLogLog of those hashed ids (registers, no
// elements), of which only the count is kept. Nothing here writes PostgreSQL.
import { createHmac, randomBytes } from "node:crypto";
import { config } from "./config.ts";
import { REDIS_KEY } from "./redisKeys.ts";
import { redis } from "./redis.ts";

export const VIEWER_TTL_MS = 20_000;
/** Viewer ids one client address may add to a session's count (a household, a small office behind one NAT). */
export const MAX_VIEWERS_PER_ADDRESS = 10;
/** The ids pages make up (see app/_components/ChannelLive.tsx). */
export const VIEWER_ID = /^[A-Za-z0-9_-]{8,40}$/;
/**
 * How long a session's salt, HyperLogLog and peak outlive their last use. They are
 * deleted explicitly when the session is over; this bounds what a session whose end
 * was never processed (its rows deleted while live) leaves behind.
 */
export const VIEWER_STATE_TTL_MS = 3600_000;
/**
 * The mark that a session's counting is closed (it holds "1", nothing about anyone)
 * outlives the longest an ended session stays on the air (6 h, liveStatus's
 * FINISHING_MAX_MS), and is kept an hour more after the viewer keys are deleted, so
 * that a late heartbeat (a WebRTC player the edge has not closed yet) cannot start a
 * new salt.
 */
const CLOSED_MARK_TTL_MS = 7 * 3600_000;

// The salt of a session: made once, never again after the session closed its counts
// (a heartbeat still in flight when it ended must not start a new one).
const SALT = `
local s = redis.call('GET', KEYS[1])
if s then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return s end
if redis.call('EXISTS', KEYS[2]) == 1 then return false end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return ARGV[1]`;

// Adds a viewer to the unique count and raises the peak, unless the session has ended.
const RECORD = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if ARGV[1] ~= '' then
  redis.call('PFADD', KEYS[2], ARGV[1])
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
end
local n = tonumber(redis.call('HGET', KEYS[3], 'n') or '-1')
if tonumber(ARGV[2]) > n then redis.call('HSET', KEYS[3], 'n', ARGV[2], 'at', ARGV[3]) end
redis.call('PEXPIRE', KEYS[3], ARGV[4])
return 1`;

async function sessionSalt(sessionId: string): Promise<string | null> {
  const salt = await redis().eval(SALT, 2, REDIS_KEY.viewersSalt(sessionId), REDIS_KEY.viewersClosed(sessionId), randomBytes(32).toString("hex"), String(VIEWER_STATE_TTL_MS));
  return typeof salt === "string" ? salt : null;
}

/**
 * Counts the page's heartbeat and returns the session's concurrent viewers (ids seen
 * in the last VIEWER_TTL_MS). Anyone can make up viewer ids, so each client address
 * counts at most MAX_VIEWERS_PER_ADDRESS of them. `record: false` (a session that
 * has ended and plays its last minutes) counts without adding to unique or peak.
 */
export async function countViewer(sessionId: string, viewerId: string | null, clientAddress = "unknown", opts: { record?: boolean } = {}): Promise<number> {
  const key = REDIS_KEY.viewers(sessionId);
  const now = Date.now();
  let member = "";
  if (viewerId && VIEWER_ID.test(viewerId)) {
    const salt = await sessionSalt(sessionId);
    if (salt) {
      const addressHash = createHmac("sha256", salt).update(clientAddress).digest("hex").slice(0, 16);
      const mine = REDIS_KEY.viewersOfAddress(sessionId, addressHash);
      const [, known, count] = ((await redis().multi().zremrangebyscore(mine, 0, now - VIEWER_TTL_MS).zscore(mine, viewerId).zcard(mine).exec()) ?? []).map((r) => r?.[1]);
      if (known !== null || Number(count) < MAX_VIEWERS_PER_ADDRESS) {
        member = `${addressHash}:${viewerId}`;
        await redis().multi().zadd(mine, now, viewerId).pexpire(mine, VIEWER_TTL_MS * 3).zadd(key, now, member).exec();
      }
    }
  }
  const res = await redis().multi().zremrangebyscore(key, 0, now - VIEWER_TTL_MS).zcard(key).pexpire(key, VIEWER_TTL_MS * 3).exec();
  const viewers = Number(res?.[1]?.[1] ?? 0);
  if (opts.record !== false) {
    await redis().eval(
      RECORD, 3,
      REDIS_KEY.viewersClosed(sessionId), REDIS_KEY.viewersUnique(sessionId), REDIS_KEY.viewersPeak(sessionId),
      member, String(viewers), String(now), String(VIEWER_STATE_TTL_MS),
    );
  }
  return viewers;
}

/** Concurrent viewers now, without counting anyone. */
export async function currentViewers(sessionId: string, now = Date.now()): Promise<number> {
  return redis().zcount(REDIS_KEY.viewers(sessionId), now - VIEWER_TTL_MS, "+inf");
}

export interface ViewerFigures {
  peak: number;
  peakAt: Date | null;
  unique: number;
}

/** Peak and unique viewers of a session still counting (zero once they are closed). */
export async function liveViewerFigures(sessionId: string): Promise<ViewerFigures> {
  const res = await redis().multi().hmget(REDIS_KEY.viewersPeak(sessionId), "n", "at").pfcount(REDIS_KEY.viewersUnique(sessionId)).exec();
  const [n, at] = (res?.[0]?.[1] as (string | null)[] | undefined) ?? [null, null];
  return { peak: Number(n ?? 0), peakAt: at ? new Date(Number(at)) : null, unique: Number(res?.[1]?.[1] ?? 0) };
}

/** Keeps a live session's salt, HyperLogLog and peak while nobody watches (the sampler calls it). */
export async function keepViewerState(sessionId: string): Promise<void> {
  await redis().multi()
    .pexpire(REDIS_KEY.viewersSalt(sessionId), VIEWER_STATE_TTL_MS)
    .pexpire(REDIS_KEY.viewersUnique(sessionId), VIEWER_STATE_TTL_MS)
    .pexpire(REDIS_KEY.viewersPeak(sessionId), VIEWER_STATE_TTL_MS)
    .exec();
}

/**
 * The session has ended: heartbeats stop adding to unique and peak, and their final
 * values are returned. `drop` runs after the caller stored them, and deletes the
 * HyperLogLog and the peak (a repeat after that returns zeros; callers keep the max).
 */
export async function closeViewerCounting(sessionId: string): Promise<ViewerFigures & { drop: () => Promise<void> }> {
  // Marked first, read after: a heartbeat either counted before the mark, and is read, or is refused.
  await redis().set(REDIS_KEY.viewersClosed(sessionId), "1", "PX", CLOSED_MARK_TTL_MS);
  const figures = await liveViewerFigures(sessionId);
  return { ...figures, drop: async () => void (await redis().del(REDIS_KEY.viewersUnique(sessionId), REDIS_KEY.viewersPeak(sessionId))) };
}

/**
 * The session is over and off the air: deletes every per-session viewer key — the
 * salt (so no hash made with it can be tied to an address again), the concurrent
 * set, each address's set and the counters. Only the closed mark stays, for an hour.
 */
export async function forgetViewers(sessionId: string): Promise<void> {
  const r = redis();
  await r.set(REDIS_KEY.viewersClosed(sessionId), "1", "PX", VIEWER_STATE_TTL_MS);
  const keys = [
    REDIS_KEY.viewers(sessionId),
    REDIS_KEY.viewersSalt(sessionId),
    REDIS_KEY.viewersUnique(sessionId),
    REDIS_KEY.viewersPeak(sessionId),
  ];
  // SCAN's pattern and answers carry the connection's key prefix; DEL adds it again.
  const pattern = `${config.redisPrefix}${REDIS_KEY.viewersOfAddress(sessionId, "*")}`;
  let cursor = "0";
  do {
    const [next, found] = await r.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    cursor = next;
    keys.push(...found.map((k) => k.slice(config.redisPrefix.length)));
  } while (cursor !== "0");
  await r.del(...keys);
}
