// Chat replay, the writing side: what viewers saw in a channel's chat while it
// was live, kept in PostgreSQL for playing back beside the replay (reading side:
// lib/chat/replayChat.ts). The appservice writes it from the very entries it puts
// in the chat feed (lib/chat/feed.ts), so the rules are the feed's: only what the
// room's rules accepted is stored, text clamped and shaped by feedContent, an
// edit by the author replaces the text, a redaction removes the message for good.
//
// Retention follows the replay: rows belong to the live session (cascade), and
// deleting the replay deletes them (trigger in the migration). A session that
// ended without a replay has its chat pruned (pruneChatWithoutReplay).
import { db } from "../db.ts";
import type { FeedEntry } from "./feed.ts";

/** A session that ended this long ago without a replay has its chat deleted. */
const ORPHAN_AFTER_MS = 24 * 3600_000;

/**
 * Records a channel's feed entries (one transaction's, in order) for its chat
 * replay: each message in the session that was on air (live or reconnecting)
 * when it was sent — by its server timestamp, so a transaction the homeserver
 * retries late still lands in the right session — in a channel that keeps
 * replays; then edits and redactions of what is stored. Idempotent: a retried
 * transaction changes nothing twice.
 */
export async function archiveFeedEntries(channelId: string, entries: readonly FeedEntry[]): Promise<void> {
  const messages = entries.filter((e): e is Extract<FeedEntry, { t: "msg" }> => e.t === "msg");
  if (messages.length) {
    const times = messages.map((m) => m.ts);
    // A channel's sessions never overlap, and one transaction's messages are seconds apart: the
    // session of each is among the last few to start before the latest (an index scan of three rows).
    const sessions = await db().liveSession.findMany({
      where: { channelId, channel: { keepReplays: true }, startedAt: { lte: new Date(Math.max(...times)) } },
      orderBy: { startedAt: "desc" },
      take: 3,
      select: { id: true, startedAt: true, endedAt: true },
    });
    const sessionAt = (ts: number) => sessions.find((s) => s.startedAt.getTime() <= ts && (s.endedAt === null || ts <= s.endedAt.getTime()))?.id;
    const data = messages.flatMap((m) => {
      const sessionId = sessionAt(m.ts);
      return sessionId
        ? [{ eventId: m.id, sessionId, sender: m.sender, displayName: m.name, ts: new Date(m.ts), msgtype: m.content.msgtype, body: m.content.body, formattedBody: m.content.formatted_body ?? null }]
        : [];
    });
    if (data.length) await db().chatReplayMessage.createMany({ data, skipDuplicates: true });
  }
  // Edits and redactions come after the message they concern (homeserver order); only this channel's rows.
  for (const e of entries) {
    if (e.t === "edit") {
      // As in the feed (FeedView), only the author's edit counts.
      await db().chatReplayMessage.updateMany({
        where: { eventId: e.target, sender: e.sender, session: { channelId } },
        data: { msgtype: e.content.msgtype, body: e.content.body, formattedBody: e.content.formatted_body ?? null, edited: true },
      });
    } else if (e.t === "redact") {
      await db().chatReplayMessage.deleteMany({ where: { eventId: e.target, session: { channelId } } });
    }
  }
}

/** Deletes the chat of sessions that ended long ago without a replay (nothing will ever play it). */
export async function pruneChatWithoutReplay(now = new Date()): Promise<number> {
  const { count } = await db().chatReplayMessage.deleteMany({
    where: { session: { status: "ended", endedAt: { lt: new Date(now.getTime() - ORPHAN_AFTER_MS) }, replay: { is: null } } },
  });
  return count;
}
