// The chat feed: how a channel room's events reach viewers without each viewer
// syncing with the homeserver. The appservice (the one process that receives
// every room event) appends entries to a Redis stream per channel; every web
// process reads the streams its viewers watch and passes each entry on over
// Server-Sent Events. The stream id of an entry is its SSE id, so a viewer that
// reconnects resumes exactly where it stopped.
//
// This module is the protocol both sides import (entry shapes, limits, stream
// id order, SSE framing). Dependency-free: the widget imports it too.

/** What a message shows: only the fields the widget renders, clamped. */
export interface FeedContent {
  msgtype: string;
  body: string;
  format?: string;
  formatted_body?: string;
}

export type FeedEntry =
  /** A message (text, emote, notice, attachment or sticker) that passed the room's rules. */
  | { t: "msg"; id: string; sender: string; name: string; ts: number; content: FeedContent }
  /** An edit (m.replace) of `target`; applied only when `sender` wrote the target. */
  | { t: "edit"; id: string; target: string; sender: string; content: FeedContent }
  | { t: "redact"; target: string; by: string; reason: string | null }
  | { t: "power"; users: Record<string, number>; usersDefault: number }
  /** A membership someone else changed (kick, ban, unban): the widget tells the viewer concerned. */
  | { t: "member"; userId: string; membership: string; by: string; reason: string | null };

/** The name a message carries when its sender's display name breaks the channel's word filter. */
export const HIDDEN_NAME = "(name hidden)";

export type PowerEntry = Extract<FeedEntry, { t: "power" }>;

export const FEED = {
  /** Entries kept per channel (approximately: Redis trims in whole nodes). */
  maxEntries: 5000,
  /** Entries a viewer gets on opening the chat, and per "load earlier". */
  pageEntries: 100,
  /** A resuming viewer further behind than this gets a fresh page instead. */
  maxResumeEntries: 1000,
  /** Longer bodies are cut when stored (the widget shows 500 characters and "Show more"). */
  bodyMax: 4000,
  formattedBodyMax: 8000,
  /** A reader whose socket has this much unsent is dropped; it reconnects and resumes from Redis. */
  maxBufferedBytes: 1 << 20,
  heartbeatMs: 20_000,
} as const;

/** The SSE event names besides entries (which use the default "message"). */
export const FEED_EVENT = {
  /** {power, entries: [sid, entry][], more}: the start of a fresh view. */
  page: "page",
} as const;

export interface FeedPage {
  power: PowerEntry | null;
  entries: [string, FeedEntry][];
  /** Older entries exist (for "load earlier"). */
  more: boolean;
}

const STREAM_ID = /^(\d{1,20})-(\d{1,20})$/;

export function isStreamId(s: unknown): s is string {
  return typeof s === "string" && STREAM_ID.test(s);
}

/** Orders Redis stream ids ("<ms>-<seq>"). */
export function compareStreamIds(a: string, b: string): number {
  const [am, as] = a.split("-");
  const [bm, bs] = b.split("-");
  if (am.length !== bm.length) return am.length - bm.length;
  if (am !== bm) return am < bm ? -1 : 1;
  if (as.length !== bs.length) return as.length - bs.length;
  return as === bs ? 0 : as < bs ? -1 : 1;
}

function clampText(s: string, max: number): string {
  if (s.length <= max) return s;
  const c = s.charCodeAt(max - 1);
  return s.slice(0, c >= 0xd800 && c <= 0xdbff ? max - 1 : max) + "…";
}

/** The renderable part of a message's content, or null when it is not a message a client would show. */
export function feedContent(content: unknown, eventType = "m.room.message"): FeedContent | null {
  if (typeof content !== "object" || content === null || Array.isArray(content)) return null;
  const c = content as Record<string, unknown>;
  if (typeof c.body !== "string") return null;
  const msgtype = eventType === "m.sticker" ? "m.sticker" : typeof c.msgtype === "string" ? c.msgtype : null;
  if (!msgtype) return null;
  const out: FeedContent = { msgtype: msgtype.slice(0, 100), body: clampText(c.body, FEED.bodyMax) };
  if (c.format === "org.matrix.custom.html" && typeof c.formatted_body === "string") {
    out.format = c.format;
    out.formatted_body = clampText(c.formatted_body, FEED.formattedBodyMax);
  }
  return out;
}

/** One SSE frame. JSON never contains a raw newline, so one data line suffices. */
export function sseFrame(data: string, id?: string, event?: string): string {
  return `${event ? `event: ${event}\n` : ""}${id ? `id: ${id}\n` : ""}data: ${data}\n\n`;
}
