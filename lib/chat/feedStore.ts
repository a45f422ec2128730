// The chat feed's Redis side (see feed.ts): the appservice appends, web
// processes read pages and resume. One stream per channel, trimmed to
// FEED.maxEntries; the power levels beside it, for viewers who open the chat
// long after the last power change.
import { redis } from "../redis.ts";
import { REDIS_KEY } from "../redisKeys.ts";
import { FEED, compareStreamIds, type FeedEntry } from "./feed.ts";

type RawEntries = [id: string, fields: string[]][];

/** Entries with their JSON kept as read: the web passes it on unparsed. */
export type RawFeedEntry = [sid: string, json: string];

function decode(raw: RawEntries | null): RawFeedEntry[] {
  const out: RawFeedEntry[] = [];
  for (const [id, fields] of raw ?? []) {
    const i = fields.indexOf("e");
    if (i >= 0 && i + 1 < fields.length) out.push([id, fields[i + 1]]);
  }
  return out;
}

/** Appends entries in order; returns their stream ids. */
export async function appendEntries(channelId: string, entries: FeedEntry[]): Promise<string[]> {
  if (!entries.length) return [];
  const key = REDIS_KEY.chatFeed(channelId);
  const multi = redis().multi();
  for (const e of entries) multi.xadd(key, "MAXLEN", "~", FEED.maxEntries, "*", "e", JSON.stringify(e));
  for (const e of entries) if (e.t === "power") multi.set(REDIS_KEY.chatPower(channelId), JSON.stringify(e));
  multi.set(REDIS_KEY.chatFeedReady(channelId), "1");
  const res = (await multi.exec()) ?? [];
  return res.slice(0, entries.length).map(([err, id]) => {
    if (err) throw err;
    return String(id);
  });
}

/** A deleted channel's chat feed goes with it. */
export async function forgetChatFeed(channelId: string): Promise<void> {
  await redis().del(REDIS_KEY.chatFeed(channelId), REDIS_KEY.chatPower(channelId), REDIS_KEY.chatFeedReady(channelId));
}

export async function markFeedReady(channelId: string): Promise<void> {
  await redis().set(REDIS_KEY.chatFeedReady(channelId), "1");
}

export async function feedIsReady(channelId: string): Promise<boolean> {
  return (await redis().exists(REDIS_KEY.chatFeedReady(channelId))) === 1;
}

/** The id of the newest entry, or "0-0" for an empty (or missing) stream. */
export async function newestId(channelId: string): Promise<string> {
  const last = decode((await redis().xrevrange(REDIS_KEY.chatFeed(channelId), "+", "-", "COUNT", 1)) as RawEntries);
  return last[0]?.[0] ?? "0-0";
}

/** The newest page of entries (oldest first), or the page before `before`. */
async function pageBefore(channelId: string, before: string | null): Promise<{ entries: RawFeedEntry[]; more: boolean }> {
  const key = REDIS_KEY.chatFeed(channelId);
  const raw = (await redis().xrevrange(key, before ? `(${before}` : "+", "-", "COUNT", FEED.pageEntries + 1)) as RawEntries;
  const entries = decode(raw);
  const more = entries.length > FEED.pageEntries;
  return { entries: entries.slice(0, FEED.pageEntries).reverse(), more };
}

/**
 * The entries after `after`, for a viewer resuming; null when they cannot be
 * given exactly (the stream was trimmed past `after`, or the viewer is too far
 * behind), and the viewer should start over from a fresh page.
 */
export async function entriesAfter(channelId: string, after: string): Promise<RawFeedEntry[] | null> {
  const key = REDIS_KEY.chatFeed(channelId);
  // Missing: Redis lost the feed (restart); the viewer's position means nothing any more.
  const info = (await redis().xinfo("STREAM", key).catch(() => null)) as unknown[] | null;
  if (!info) return null;
  const field = (name: string) => String(info[info.indexOf(name) + 1]);
  // Trimming deletes from the start (and is the only deletion): when anything was trimmed, a
  // viewer positioned before the first entry left may have missed some.
  const trimmed = Number(field("entries-added")) > Number(field("length"));
  if (trimmed && compareStreamIds(after, field("recorded-first-entry-id")) < 0) return null;
  if (compareStreamIds(field("last-generated-id"), after) < 0) return null;
  const raw = (await redis().xrange(key, `(${after}`, "+", "COUNT", FEED.maxResumeEntries + 1)) as RawEntries;
  const entries = decode(raw);
  return entries.length > FEED.maxResumeEntries ? null : entries;
}

/** A FeedPage as JSON, built from the stored JSON without parsing it again. */
function pageJson(power: string | null, entries: RawFeedEntry[], more: boolean): string {
  return `{"power":${power ?? "null"},"more":${more},"entries":[${entries.map(([sid, json]) => `[${JSON.stringify(sid)},${json}]`).join(",")}]}`;
}

/** The page a viewer opening the chat gets (as JSON), and the id of its newest entry. */
export async function freshPageJson(channelId: string, before: string | null = null): Promise<{ json: string; newest: string | null }> {
  const [power, { entries, more }] = await Promise.all([redis().get(REDIS_KEY.chatPower(channelId)), pageBefore(channelId, before)]);
  return { json: pageJson(power, entries, more), newest: entries.at(-1)?.[0] ?? null };
}
