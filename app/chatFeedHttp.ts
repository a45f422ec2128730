// Serves a channel's chat feed (lib/chat/feed.ts) straight from the HTTP
// server, before Next.js, like the media: a viewer holds the connection open
// for as long as the page is open, so it must cost a socket and nothing more.
//   GET /api/chat/<slug>/feed             Server-Sent Events: a page, then every entry
//                                         (with Last-Event-ID: every entry after it)
//   GET /api/chat/<slug>/feed?before=<id> JSON: the page before an entry ("load earlier")
import type http from "node:http";
import { FEED, FEED_EVENT, compareStreamIds, isStreamId, sseFrame } from "../lib/chat/feed.ts";
import { entriesAfter, feedIsReady, freshPageJson } from "../lib/chat/feedStore.ts";
import { backfillChatFeed } from "../lib/chat/appserviceClient.ts";
import { chatChannelBySlug } from "../lib/chat/store.ts";
import { logger } from "../lib/log.ts";
import { feedHub, type FeedListener, type FramedEntry } from "./chatFeedHub.ts";

const log = logger("web");

const FEED_PATH = /^\/api\/chat\/([a-z0-9]+(?:-[a-z0-9]+)*)\/feed$/;
const CHANNEL_CACHE_MS = 5000;
const BACKFILL_EVERY_MS = 60_000;

const channelIds = new Map<string, { id: string | null; until: number }>();
const backfillAsked = new Map<string, number>();
const open = new Set<http.ServerResponse>();
let heartbeat: NodeJS.Timeout | null = null;

async function channelIdOf(slug: string): Promise<string | null> {
  const hit = channelIds.get(slug);
  if (hit && hit.until > Date.now()) return hit.id;
  const id = (await chatChannelBySlug(slug))?.id ?? null;
  if (channelIds.size > 10_000) channelIds.clear();
  channelIds.set(slug, { id, until: Date.now() + CHANNEL_CACHE_MS });
  return id;
}

/** An empty feed the appservice never filled (Redis restarted): ask it to, now and then. */
function backfillIfNeeded(channelId: string): void {
  const last = backfillAsked.get(channelId) ?? 0;
  if (Date.now() - last < BACKFILL_EVERY_MS) return;
  backfillAsked.set(channelId, Date.now());
  void feedIsReady(channelId)
    .then((ready) => (ready ? null : backfillChatFeed(channelId)))
    .catch((err) => log.warn("could not have the chat feed filled", { channelId, error: String(err) }));
}

function json(res: http.ServerResponse, status: number, body: string) {
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" }).end(body);
}

/** Returns true when it answered the request. */
export function serveChatFeed(req: http.IncomingMessage, res: http.ServerResponse): boolean {
  const url = new URL(req.url ?? "/", "http://x");
  const m = FEED_PATH.exec(url.pathname);
  if (!m) return false;
  if (req.method !== "GET") {
    res.writeHead(405, { Allow: "GET" }).end();
    return true;
  }
  const before = url.searchParams.get("before");
  void (async () => {
    const channelId = await channelIdOf(m[1]);
    if (!channelId) return json(res, 404, JSON.stringify({ error: "Channel not found" }));
    if (before !== null) {
      if (!isStreamId(before)) return json(res, 400, JSON.stringify({ error: "before must be an entry id" }));
      return json(res, 200, (await freshPageJson(channelId, before)).json);
    }
    await stream(req, res, channelId);
  })().catch((err) => {
    log.error("chat feed failed", { error: String(err) });
    if (!res.headersSent) json(res, 503, JSON.stringify({ error: "Chat is not available right now." }));
    else res.destroy();
  });
  return true;
}

async function stream(req: http.IncomingMessage, res: http.ServerResponse, channelId: string): Promise<void> {
  const lastEventId = req.headers["last-event-id"];
  const resumeFrom = isStreamId(lastEventId) ? lastEventId : null;
  // Entries that arrive while the page is read wait here, then pass if newer than the page.
  let buffered: FramedEntry[] | null = [];
  let after = "0-0";
  const listener: FeedListener = {
    deliver(entries) {
      if (buffered) buffered.push(...entries);
      else send(entries);
    },
  };
  /** The entries newer than the last one sent, in one write. */
  const send = (entries: readonly FramedEntry[]) => {
    let text = "";
    for (const [sid, frame] of entries) {
      if (compareStreamIds(sid, after) <= 0) continue;
      after = sid;
      text += frame;
    }
    if (!text) return;
    res.write(text);
    // A reader that does not keep up is let go; its browser reconnects and resumes from Redis.
    if (res.writableLength > FEED.maxBufferedBytes) res.destroy();
  };
  const close = () => {
    feedHub().detach(channelId, listener);
    open.delete(res);
  };
  res.on("close", close);
  // A viewer gone mid-write is routine; "close" cleans up.
  res.on("error", () => {});
  await feedHub().attach(channelId, listener);
  if (res.destroyed) return close();

  res.writeHead(200, {
    "Content-Type": "text/event-stream; charset=utf-8",
    // no-transform: no proxy (or compression layer) may buffer the stream.
    "Cache-Control": "no-store, no-transform",
    "X-Accel-Buffering": "no",
    "X-Content-Type-Options": "nosniff",
  });
  res.write(`retry: 3000\n\n`);
  open.add(res);
  ensureHeartbeat();

  const resumed = resumeFrom ? await entriesAfter(channelId, resumeFrom) : null;
  if (resumed) {
    after = resumeFrom!;
    send(resumed.map(([sid, entry]): FramedEntry => [sid, sseFrame(entry, sid)]));
  } else {
    const page = await freshPageJson(channelId);
    if (!page.newest) backfillIfNeeded(channelId);
    if (page.newest) after = page.newest;
    res.write(sseFrame(page.json, page.newest ?? undefined, FEED_EVENT.page));
  }
  const waiting = buffered;
  buffered = null;
  send(waiting);
}

function ensureHeartbeat(): void {
  if (heartbeat) return;
  // A comment line now and then keeps proxies from closing an idle stream.
  heartbeat = setInterval(() => {
    if (!open.size) {
      clearInterval(heartbeat!);
      heartbeat = null;
      return;
    }
    for (const res of open) res.write(":\n\n");
  }, FEED.heartbeatMs);
  heartbeat.unref();
}
