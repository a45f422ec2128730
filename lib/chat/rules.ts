// Chat rules as pure functions: who may do what in a channel room, and what a
// message must not contain. The appservice applies them; the web shows them.
import { z } from "zod";
import { controlMessage, noControl } from "../validation.ts";

export const POWER = { owner: 100, bot: 100, moderator: 50, everyone: 0 } as const;

export interface PowerLevelsContent {
  users: Record<string, number>;
  users_default: number;
  events: Record<string, number>;
  events_default: number;
  state_default: number;
  ban: number;
  kick: number;
  redact: number;
  invite: number;
  notifications: { room: number };
  [k: string]: unknown;
}

/**
 * The room's power levels: bot and owner 100, moderators 50, everyone else 0.
 * Anything a moderator may not do (room settings, power levels) needs 100.
 * Users set by someone else with the power to (e.g. from Element) are kept
 * unless they are moderators we no longer list.
 */
export function channelPowerLevels(input: {
  botUserId: string;
  ownerUserId: string;
  moderators: string[];
  /** Previously granted moderators that were revoked. */
  revoked?: string[];
  existing?: Partial<PowerLevelsContent>;
}): PowerLevelsContent {
  const users: Record<string, number> = {};
  for (const [u, level] of Object.entries(input.existing?.users ?? {})) {
    if (typeof level !== "number") continue;
    if (input.revoked?.includes(u) && level === POWER.moderator) continue;
    users[u] = level;
  }
  for (const m of input.moderators) users[m] = Math.max(users[m] ?? 0, POWER.moderator);
  users[input.ownerUserId] = POWER.owner;
  users[input.botUserId] = POWER.bot;
  return {
    ...(input.existing ?? {}),
    users,
    users_default: POWER.everyone,
    events_default: 0,
    state_default: POWER.owner,
    ban: POWER.moderator,
    kick: POWER.moderator,
    redact: POWER.moderator,
    invite: POWER.moderator,
    events: {
      "m.room.name": POWER.owner,
      "m.room.topic": POWER.owner,
      "m.room.avatar": POWER.owner,
      "m.room.canonical_alias": POWER.owner,
      "m.room.power_levels": POWER.owner,
      "m.room.history_visibility": POWER.owner,
      "m.room.guest_access": POWER.owner,
      "m.room.join_rules": POWER.owner,
      "m.room.encryption": POWER.owner,
      "m.room.server_acl": POWER.owner,
      "m.room.tombstone": POWER.owner,
      "m.room.pinned_events": POWER.moderator,
    },
    notifications: { room: POWER.moderator },
  };
}

export const WORD_FILTER_MAX = 200;

/** One word or phrase per line (or comma separated); lower-cased, trimmed, de-duplicated. */
export function parseWordFilter(text: string): string[] {
  const words = text
    .split(/[\n,]/)
    .map((w) => w.trim().toLowerCase().replace(/\s+/g, " "))
    .filter((w) => w.length > 0 && w.length <= 100);
  return [...new Set(words)].slice(0, WORD_FILTER_MAX);
}

const letters = /[\p{L}\p{N}]/u;

/**
 * The filtered word found in a message, or null. Matches whole words, case-
 * and accent-insensitively, so "class" does not trip a filter on "ass".
 */
export function matchWordFilter(text: string, words: readonly string[]): string | null {
  if (!words.length || !text) return null;
  const hay = fold(text);
  for (const w of words) {
    const needle = fold(w);
    if (!needle) continue;
    let from = 0;
    for (;;) {
      const at = hay.indexOf(needle, from);
      if (at < 0) break;
      const before = at === 0 ? "" : hay[at - 1];
      const after = hay[at + needle.length] ?? "";
      if (!letters.test(before) && !letters.test(after)) return w;
      from = at + 1;
    }
  }
  return null;
}

/** Visible text of HTML for filtering: inline tags join words ("<i>a</i>b" is "ab"), block tags separate them. */
export function htmlToText(html: string): string {
  return html
    .replace(/<(br|\/?(p|div|li|ul|ol|h\d|blockquote|pre|tr|td|th|table))\b[^>]*>/gi, " ")
    .replace(/<[^>]*>/g, "")
    .replace(/&#x([0-9a-f]{1,6});/gi, (_m, h) => safeChar(parseInt(h, 16)))
    .replace(/&#(\d{1,7});/g, (_m, d) => safeChar(Number(d)))
    .replace(/&(amp|lt|gt|quot|apos|nbsp);/g, (_m, n) => ({ amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " })[n as "amp"]);
}

function safeChar(code: number): string {
  return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : "";
}

function fold(s: string): string {
  return s.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().replace(/\s+/g, " ");
}

/** Text a message event shows, including an edit's replacement and the formatted body without tags. */
export function messageTexts(content: Record<string, unknown> | undefined): string[] {
  if (!content) return [];
  const out: string[] = [];
  const push = (c: unknown) => {
    if (!c || typeof c !== "object") return;
    const o = c as Record<string, unknown>;
    if (typeof o.body === "string") out.push(o.body);
    if (typeof o.formatted_body === "string") out.push(htmlToText(o.formatted_body));
  };
  push(content);
  push(content["m.new_content"]);
  return out;
}

export const SLOW_MODE_MAX_SECONDS = 3600;

const moderationReason = z.string().max(300).refine(noControl(), controlMessage("The reason")).default("");

export const moderationSchema = z.discriminatedUnion("action", [
  z.object({ action: z.literal("ban"), userId: z.string(), reason: moderationReason }),
  z.object({ action: z.literal("unban"), userId: z.string() }),
  z.object({ action: z.literal("kick"), userId: z.string(), reason: moderationReason }),
  z.object({
    action: z.literal("timeout"),
    userId: z.string(),
    // Minutes in the UI; seconds on the wire so short timeouts can be tested.
    seconds: z.number().int().min(1).max(30 * 86400),
    reason: moderationReason,
  }),
  z.object({ action: z.literal("redact"), eventId: z.string().regex(/^\$[A-Za-z0-9+/=_\-.:]{1,255}$/), reason: moderationReason }),
  z.object({ action: z.literal("moderator"), userId: z.string(), grant: z.boolean() }),
]);
export type ModerationCommand = z.infer<typeof moderationSchema>;

export const chatSettingsSchema = z.object({
  slowModeSeconds: z.number().int().min(0).max(SLOW_MODE_MAX_SECONDS),
  wordFilter: z.string().max(20_000).refine(noControl(true), controlMessage("The word filter")).transform(parseWordFilter),
});

export function describeTimeout(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}
