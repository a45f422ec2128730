// Chat rules as pure functions: who may do what in a channel room, and what a
// message must not contain. The appservice applies them; the web shows them.
import { z } from "zod";
import { controlMessage, noControl } from "../validation.ts";

import { foldForFilter, overridesInDisplayOrder } from "./invisible.ts";
import { POWER } from "./power.ts";

export { POWER };

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

// A letter or digit at the end / the start of a string: a match next to one is part of a longer word.
const WORD_CHAR_BEFORE = /[\p{L}\p{N}]$/u;
const WORD_CHAR_AFTER = /^[\p{L}\p{N}]/u;

/**
 * The filtered word found in `text`, or null. Matches whole words, so "class"
 * does not trip a filter on "ass", nor "zorgles" one on "zorgle". Text and
 * words are compared as a reader sees them (see foldForFilter: case, accents,
 * fullwidth and other look-alike forms, invisible characters), in logical
 * order and in the order a right-to-left override shows.
 * For HTML and event content, pass the texts lib/chat/visibleText.ts extracts.
 */
export function matchWordFilter(text: string, words: readonly string[]): string | null {
  if (!words.length || !text) return null;
  const hays = [...new Set([text, overridesInDisplayOrder(text)].map(foldForFilter))];
  for (const w of words) {
    const needle = foldForFilter(w).trim();
    if (needle && hays.some((hay) => hasWord(hay, needle))) return w;
  }
  return null;
}

/** A display name the channel's filter does not allow. */
export function nameBreaksFilter(name: string, words: readonly string[]): boolean {
  return matchWordFilter(name, words) !== null;
}

function hasWord(hay: string, needle: string): boolean {
  for (let at = hay.indexOf(needle); at >= 0; at = hay.indexOf(needle, at + 1)) {
    // Two UTF-16 units each side: enough for one letter outside the BMP.
    const before = hay.slice(Math.max(0, at - 2), at);
    const after = hay.slice(at + needle.length, at + needle.length + 2);
    if (!WORD_CHAR_BEFORE.test(before) && !WORD_CHAR_AFTER.test(after)) return true;
  }
  return false;
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
