// Chat replay, the reading side: a replay's chat (stored by the appservice, see
// lib/chat/chatArchive.ts) in pages, each message with the moment of the replay
// at which it shows (lib/chat/replayTimeline.ts). Pages are bounded both ways, so
// a six-hour stream with a busy chat costs a viewer what they watch.
import { db } from "../db.ts";
import { isUuid } from "../channels.ts";
import { LivePlaylists } from "../hls/livePlaylists.ts";
import type { MediaStore } from "../media/store.ts";
import { replaySegments } from "../replays.ts";
import type { FeedContent } from "./feed.ts";
import { replayOffset, replayTimeline, wallClockAt, type ReplayTimeline } from "./replayTimeline.ts";

export const REPLAY_CHAT = {
  /** Messages after the asked moment in one answer; the rest by cursor. A busy chat (20 a second) says 500 in 25 s. */
  pageMessages: 500,
  /** Messages up to the asked moment in one answer: what the chat shows when a viewer lands there. */
  earlierMessages: 100,
} as const;

/** One message as the replay page gets it. */
export interface ReplayChatMessage {
  id: string;
  sender: string;
  name: string;
  /** Server timestamp (ms). */
  ts: number;
  /** Seconds into the replay at which it shows. */
  at: number;
  content: FeedContent;
  edited: boolean;
}

export interface ReplayChatPage {
  messages: ReplayChatMessage[];
  /** Everything before the first message is included (the chat's start is loaded). */
  fromStart: boolean;
  /** Cursor for the messages after the last one, or null when there are no more. */
  next: string | null;
}

// A replay's segments never change once it exists: its timeline is read once per
// process (a pass over the session's segment list) and kept.
const TIMELINES_KEPT = 200;
const timelines = new Map<string, ReplayTimeline>();

async function timelineOf(replayId: string, sessionId: string, segmentSeconds: number, store: MediaStore): Promise<ReplayTimeline> {
  const hit = timelines.get(replayId);
  if (hit) return hit;
  const playlists = new LivePlaylists(store, sessionId, segmentSeconds);
  const top = (await playlists.readMaster())?.renditions[0];
  const timeline = top ? replayTimeline(replaySegments(await playlists.load(top.name))) : [];
  if (timelines.size >= TIMELINES_KEPT) timelines.delete(timelines.keys().next().value as string);
  timelines.set(replayId, timeline);
  return timeline;
}

/** `<ms>.<seq>` of a row: where the next page starts. */
const CURSOR = /^(\d{1,15})\.(\d{1,19})$/;

export function parseCursor(cursor: string): { ts: Date; seq: bigint } | null {
  const m = CURSOR.exec(cursor);
  return m ? { ts: new Date(Number(m[1])), seq: BigInt(m[2]) } : null;
}

type Row = { eventId: string; seq: bigint; sender: string; displayName: string; ts: Date; msgtype: string; body: string; formattedBody: string | null; edited: boolean };

function shown(row: Row, timeline: ReplayTimeline): ReplayChatMessage {
  const content: FeedContent = { msgtype: row.msgtype, body: row.body };
  if (row.formattedBody !== null) {
    content.format = "org.matrix.custom.html";
    content.formatted_body = row.formattedBody;
  }
  const ts = row.ts.getTime();
  return { id: row.eventId, sender: row.sender, name: row.displayName, ts, at: Math.round(replayOffset(ts, timeline) * 1000) / 1000, content, edited: row.edited };
}

const cursorOf = (row: Row) => `${row.ts.getTime()}.${row.seq}`;
const order = [{ ts: "asc" as const }, { seq: "asc" as const }];

export type ReplayChatQuery = { at: number } | { after: string };

/**
 * A page of a replay's chat: `{ at }` gives the last messages shown by that
 * moment and the first ones after it; `{ after }` continues from a cursor.
 * Null when there is no such replay.
 */
export async function replayChatPage(replayId: string, query: ReplayChatQuery, store: MediaStore): Promise<ReplayChatPage | null> {
  if (!isUuid(replayId)) return null;
  const replay = await db().replay.findUnique({ where: { id: replayId }, select: { sessionId: true, session: { select: { segmentSeconds: true } } } });
  if (!replay) return null;
  const { sessionId } = replay;
  const timeline = await timelineOf(replayId, sessionId, replay.session.segmentSeconds, store);
  const take = REPLAY_CHAT.pageMessages;
  if ("after" in query) {
    const c = parseCursor(query.after);
    if (!c) return { messages: [], fromStart: false, next: null };
    const rows = await db().chatReplayMessage.findMany({
      where: { sessionId, OR: [{ ts: { gt: c.ts } }, { ts: c.ts, seq: { gt: c.seq } }] },
      orderBy: order,
      take,
    });
    return { messages: rows.map((r) => shown(r, timeline)), fromStart: false, next: rows.length === take ? cursorOf(rows[rows.length - 1]) : null };
  }
  // Shown by `at`: exactly the messages sent at or before this wall clock (the mapping is monotonic).
  const wall = wallClockAt(query.at, timeline);
  const bound = Number.isFinite(wall) ? new Date(Math.floor(wall)) : null;
  const earlier =
    wall === -Infinity
      ? []
      : await db().chatReplayMessage.findMany({
          where: { sessionId, ...(bound ? { ts: { lte: bound } } : {}) },
          orderBy: [{ ts: "desc" }, { seq: "desc" }],
          take: REPLAY_CHAT.earlierMessages + 1,
        });
  const fromStart = earlier.length <= REPLAY_CHAT.earlierMessages;
  const before = earlier.slice(0, REPLAY_CHAT.earlierMessages).reverse();
  const after =
    wall === Infinity
      ? []
      : await db().chatReplayMessage.findMany({ where: { sessionId, ...(bound ? { ts: { gt: bound } } : {}) }, orderBy: order, take });
  return {
    messages: [...before, ...after].map((r) => shown(r, timeline)),
    fromStart,
    next: after.length === take ? cursorOf(after[after.length - 1]) : null,
  };
}
