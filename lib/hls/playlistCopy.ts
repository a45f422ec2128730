// A copy in Redis of a live session's master data and segment lists, kept by
// whoever writes them (livePlaylists.ts) when media is in a bucket. With a
// bucket every read of them is a request's round trip, and the session's close
// reads them all on the way to its replay: from Redis that is one round trip
// on a connection every role already holds.
//
// The copy must never be behind the store: a writer that loaded a stale list
// and appended to it would drop segments from the session. So:
//   - writers put the copy first and the store second (a failure in between
//     leaves the copy ahead, describing segments already in the store, which
//     the next append or close writes to the store too);
//   - every value carries the run id of the Redis server that took it, and a
//     reader trusts only values written to the server it is talking to now:
//     a restarted Redis (maybe restored from an older snapshot) or a promoted
//     replica has a new run id, and its reader falls back to the store.
import type { Redis } from "ioredis";
import { redis } from "../redis.ts";
import { REDIS_KEY } from "../redisKeys.ts";

/** A session's copy outlives its last write by this much; the close deletes it sooner. */
const COPY_TTL_SECONDS = 3 * 24 * 3600;

const MASTER_FIELD = "master";
const LIST_PREFIX = "list:";

/** The run id in `INFO server` output. */
export function parseRunId(info: string): string | null {
  return /^run_id:([0-9a-f]+)\r?$/m.exec(info)?.[1] ?? null;
}

/** Pure: the values of a copy's hash that the server `runId` wrote, as JSON texts by field. */
export function trustedValues(hash: Record<string, string>, runId: string | null): Map<string, string> {
  const out = new Map<string, string>();
  if (!runId) return out;
  for (const [field, value] of Object.entries(hash)) {
    const space = value.indexOf(" ");
    if (space > 0 && value.slice(0, space) === runId) out.set(field, value.slice(space + 1));
  }
  return out;
}

const runIds = new WeakMap<Redis, Promise<string | null>>();

/** The run id of the server this connection talks to, asked once per connection (and again after a reconnect). */
function writerRunId(conn: Redis): Promise<string | null> {
  let id = runIds.get(conn);
  if (!id) {
    id = conn.info("server").then(parseRunId, () => null);
    runIds.set(conn, id);
    // A reconnect may reach a different server. Values written with the old id in the
    // meantime are only ever ignored by readers, never trusted wrongly.
    conn.once("ready", () => runIds.delete(conn));
  }
  return id;
}

export class PlaylistCopy {
  private readonly key: string;

  constructor(sessionId: string) {
    this.key = REDIS_KEY.playlistCopy(sessionId);
  }

  /** Puts the master data (JSON) into the copy. */
  putMaster(json: string): Promise<void> {
    return this.put(MASTER_FIELD, json);
  }

  /** Puts one rendition's segment list (JSON) into the copy. */
  putList(rendition: string, json: string): Promise<void> {
    return this.put(LIST_PREFIX + rendition, json);
  }

  private async put(field: string, json: string): Promise<void> {
    const conn = redis();
    const runId = await writerRunId(conn);
    if (!runId) throw new Error("Redis did not say its run id");
    await conn.multi().hset(this.key, field, `${runId} ${json}`).expire(this.key, COPY_TTL_SECONDS).exec().then(throwOnError);
  }

  /** Everything the copy holds that can be trusted now, in one round trip; empty when nothing can. */
  async read(): Promise<{ master: string | null; lists: Map<string, string> }> {
    // One transaction: the run id and the values come from the same server.
    const res = await redis().multi().info("server").hgetall(this.key).exec().then(throwOnError);
    const trusted = trustedValues((res[1] as Record<string, string>) ?? {}, parseRunId(String(res[0])));
    const lists = new Map<string, string>();
    for (const [field, json] of trusted) if (field.startsWith(LIST_PREFIX)) lists.set(field.slice(LIST_PREFIX.length), json);
    return { master: trusted.get(MASTER_FIELD) ?? null, lists };
  }

  /** Once the playlists are closed nothing appends: the store's copy is the one to keep. */
  async drop(): Promise<void> {
    await redis().del(this.key);
  }
}

function throwOnError(res: [Error | null, unknown][] | null): unknown[] {
  if (!res) throw new Error("Redis transaction aborted");
  return res.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}
