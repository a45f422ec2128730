// One web process's reader of the chat feeds (lib/chat/feed.ts): a single
// Redis connection blocks on XREAD for every channel some viewer of this
// process watches, and each entry read is framed once and written to all of
// them. Viewers cost Redis nothing each; the homeserver nothing at all.
import { Redis } from "ioredis";
import { config } from "../lib/config.ts";
import { sseFrame } from "../lib/chat/feed.ts";
import { newestId } from "../lib/chat/feedStore.ts";
import { logger } from "../lib/log.ts";
import { redis } from "../lib/redis.ts";
import { REDIS_KEY } from "../lib/redisKeys.ts";

const log = logger("web");

/** An entry's stream id and its finished SSE frame. */
export type FramedEntry = [sid: string, frame: string];

/**
 * Gets every entry of its channel after it attached, in order, as finished SSE
 * frames: all the entries one read brought at once (a homeserver transaction's
 * worth), so a viewer's socket gets one write per read, not one per entry.
 */
export interface FeedListener {
  deliver(entries: readonly FramedEntry[]): void;
}

interface Watched {
  channelId: string;
  /** The last entry read for this channel. */
  cursor: string;
  listeners: Set<FeedListener>;
}

const BLOCK_MS = 15_000;
const COUNT = 500;

class FeedHub {
  /** By the stream's full key (with REDIS_PREFIX), as XREAD names it. */
  private readonly watched = new Map<string, Watched>();
  private readonly starting = new Map<string, Promise<Watched>>();
  private reader: Redis | null = null;
  private readerId: number | null = null;
  private reading = false;
  private wakeLoop: (() => void) | null = null;

  private fullKey(channelId: string): string {
    return config.redisPrefix + REDIS_KEY.chatFeed(channelId);
  }

  /** Attached listeners get every entry newer than the stream's newest at attach time. */
  async attach(channelId: string, listener: FeedListener): Promise<void> {
    const key = this.fullKey(channelId);
    let w = this.watched.get(key);
    if (!w) {
      let p = this.starting.get(key);
      if (!p) {
        p = newestId(channelId).then((cursor) => {
          const fresh = { channelId, cursor, listeners: new Set<FeedListener>() };
          this.watched.set(key, fresh);
          this.starting.delete(key);
          this.interrupt();
          return fresh;
        });
        p.catch(() => this.starting.delete(key));
        this.starting.set(key, p);
      }
      w = await p;
    }
    w.listeners.add(listener);
    this.ensureLoop();
  }

  detach(channelId: string, listener: FeedListener): void {
    const key = this.fullKey(channelId);
    const w = this.watched.get(key);
    if (!w) return;
    w.listeners.delete(listener);
    if (w.listeners.size === 0) {
      // The blocked read still names it until it returns; harmless, its entries go nowhere.
      this.watched.delete(key);
    }
  }

  /** Viewers connected to this process, for logs and the benchmark. */
  listenerCount(): number {
    let n = 0;
    for (const w of this.watched.values()) n += w.listeners.size;
    return n;
  }

  /** A blocked XREAD does not see a newly watched channel: unblock it, it starts again with the new list. */
  private interrupt(): void {
    this.wakeLoop?.();
    if (this.readerId !== null) void redis().client("UNBLOCK", this.readerId).catch(() => {});
  }

  private ensureLoop(): void {
    if (this.reading) return;
    this.reading = true;
    void this.loop().finally(() => {
      this.reading = false;
    });
  }

  private async connect(): Promise<Redis> {
    if (this.reader) return this.reader;
    // No keyPrefix: XREAD answers with full key names, and we ask with them too.
    const reader = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
    reader.on("error", (err) => log.warn("chat feed reader: Redis error", { error: String(err) }));
    this.readerId = Number(await reader.client("ID"));
    reader.on("ready", () => {
      // A reconnect is a new client with a new id.
      void reader.client("ID").then((id) => (this.readerId = Number(id)));
    });
    this.reader = reader;
    return reader;
  }

  private async loop(): Promise<void> {
    for (;;) {
      if (this.watched.size === 0) {
        await new Promise<void>((resolve) => {
          this.wakeLoop = resolve;
          setTimeout(resolve, BLOCK_MS).unref();
        });
        this.wakeLoop = null;
        if (this.watched.size === 0) continue;
      }
      const keys = [...this.watched.keys()];
      const cursors = keys.map((k) => this.watched.get(k)!.cursor);
      let res: [string, [string, string[]][]][] | null;
      try {
        const reader = await this.connect();
        res = (await reader.xread("COUNT", COUNT, "BLOCK", BLOCK_MS, "STREAMS", ...keys, ...cursors)) as typeof res;
      } catch (err) {
        log.warn("chat feed read failed; retrying", { error: String(err) });
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      for (const [key, entries] of res ?? []) {
        const w = this.watched.get(key);
        if (!w) continue;
        const framed: FramedEntry[] = [];
        for (const [sid, fields] of entries) {
          w.cursor = sid;
          const i = fields.indexOf("e");
          if (i >= 0) framed.push([sid, sseFrame(fields[i + 1], sid)]);
        }
        if (framed.length) for (const l of w.listeners) l.deliver(framed);
      }
    }
  }
}

const globalForHub = globalThis as unknown as { livehouseFeedHub?: FeedHub };

export function feedHub(): FeedHub {
  return (globalForHub.livehouseFeedHub ??= new FeedHub());
}
