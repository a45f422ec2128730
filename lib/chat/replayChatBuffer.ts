// What the replay page holds of a replay's chat: a window of messages around the
// playhead, loaded a page at a time (lib/chat/replayChat.ts), never the whole
// chat of a long stream. Pure and dependency-free: the page and the tests use it.
import type { ReplayChatMessage, ReplayChatPage } from "./replayChat.ts";

export interface ChatBuffer {
  /** In replay order (by `at`, then as the server listed them). */
  messages: ReplayChatMessage[];
  /** Every message shown from this moment (seconds) on is held (0: from the start). */
  from: number;
  /** …up to this moment (Infinity: to the end). */
  to: number;
  /** Cursor for the page after `to`, or null. */
  next: string | null;
}

export const BUFFER = {
  /** Load the next page when the playhead is this close to the end of what is held. */
  aheadSeconds: 60,
  /** Messages held at most; the oldest (well behind the playhead) are dropped first. */
  maxMessages: 5000,
  /** Rows the chat shows at once: the latest up to the playhead. */
  shownMessages: 150,
} as const;

function span(messages: ReplayChatMessage[], fromStart: boolean, next: string | null): Pick<ChatBuffer, "from" | "to"> {
  return {
    from: fromStart || messages.length === 0 ? 0 : messages[0].at,
    to: next === null ? Infinity : messages.length ? messages[messages.length - 1].at : 0,
  };
}

/** The buffer after loading the chat around the moment `at` (`?at=`): it covers `at` itself whatever the rounding of `at`s. */
export function bufferFromPage(page: ReplayChatPage, at: number): ChatBuffer {
  const { from, to } = span(page.messages, page.fromStart, page.next);
  return { messages: page.messages, from: Math.min(from, at), to: Math.max(to, at), next: page.next };
}

/** The buffer with the page after it (`?after=`) added. */
export function withNextPage(buf: ChatBuffer, page: ReplayChatPage): ChatBuffer {
  const seen = new Set(buf.messages.map((m) => m.id));
  let messages = [...buf.messages, ...page.messages.filter((m) => !seen.has(m.id))];
  let from = buf.from;
  if (messages.length > BUFFER.maxMessages) {
    messages = messages.slice(messages.length - BUFFER.maxMessages);
    from = messages[0].at;
  }
  return { messages, from, to: page.next === null ? Infinity : messages.length ? messages[messages.length - 1].at : buf.to, next: page.next };
}

/** The buffer holds every message that shows by `position`, and the moments right after it. */
export function covers(buf: ChatBuffer, position: number): boolean {
  return position >= buf.from && position <= buf.to;
}

/** Time to load the next page. */
export function wantsMore(buf: ChatBuffer, position: number): boolean {
  return buf.next !== null && covers(buf, position) && buf.to - position < BUFFER.aheadSeconds;
}

/** The messages shown at `position`: the latest `max` of those sent by then. */
export function shownAt(buf: ChatBuffer, position: number, max: number = BUFFER.shownMessages): ReplayChatMessage[] {
  // Messages are in `at` order: the end of what shows is the first one after `position`.
  let lo = 0;
  let hi = buf.messages.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (buf.messages[mid].at <= position) lo = mid + 1;
    else hi = mid;
  }
  return buf.messages.slice(Math.max(0, lo - max), lo);
}
