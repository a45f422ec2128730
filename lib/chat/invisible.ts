// Characters that change how text is shown without being seen themselves:
// bidi overrides, embeddings, isolates and marks (U+202A–U+202E, U+2066–U+2069,
// U+200E, U+200F, U+061C), which can reorder a line so that it reads as
// something else ("moc.elpmaxe" shown as "example.com"), and zero-width
// characters (U+200B–U+200D, U+2060, U+FEFF, U+00AD), which hide words from a
// filter or make two names look alike. Dependency-free: used by the chat
// widget in the browser and by the word filter on the server.

/**
 * One invisible character. Global: use it with `replace`/`replaceAll`/`matchAll`,
 * not `test` or `exec` (a global regex keeps `lastIndex` between calls).
 */
export const INVISIBLE_RE = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C\u200B-\u200D\u2060\uFEFF\u00AD]/g;

const ZWJ = "\u200D";
// An emoji (optionally with a variation selector or skin tone) right before a joiner…
const EMOJI_BEFORE = /\p{Extended_Pictographic}(?:\uFE0F|[\u{1F3FB}-\u{1F3FF}])?$/u;
// …and an emoji right after it.
const EMOJI_AFTER = /^\p{Extended_Pictographic}/u;

export interface StripOptions {
  /**
   * Keep U+200D ZERO WIDTH JOINER between two emoji, where it builds one
   * picture (👩‍💻, 🏳️‍🌈): it reorders nothing and hides no letters. For display;
   * a filter matching words should strip every joiner (the default).
   */
  keepEmojiJoiners?: boolean;
}

/** `s` without the characters INVISIBLE_RE matches. */
export function stripInvisible(s: string, opts: StripOptions = {}): string {
  if (!opts.keepEmojiJoiners) return s.replace(INVISIBLE_RE, "");
  return s.replace(INVISIBLE_RE, (ch: string, offset: number, str: string) =>
    ch === ZWJ && EMOJI_BEFORE.test(str.slice(Math.max(0, offset - 4), offset)) && EMOJI_AFTER.test(str.slice(offset + 1, offset + 3)) ? ch : "",
  );
}

// What a word filter ignores: every format character (\p{Cf}, a superset of
// INVISIBLE_RE: also tag characters, the Mongolian vowel separator…) and the
// Hangul fillers, letters that show as blank space.
const FILTER_IGNORED_RE = /[\p{Cf}\u115F\u1160\u3164\uFFA0]/gu;

/**
 * Text reduced to what a reader recognises, for comparing words: compatibility
 * forms unified (fullwidth "ｚ" and mathematical bold "𝐳" are "z"), invisible
 * characters removed, case folded, accents dropped, whitespace collapsed.
 * Apply it to both the text and the filtered word.
 */
export function foldForFilter(s: string): string {
  return s
    .normalize("NFKC")
    .replace(FILTER_IGNORED_RE, "")
    // Upper then lower: "ß" becomes "ss", as the upper-case spelling of a word would.
    .toUpperCase()
    .toLowerCase()
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .replace(/\s+/g, " ");
}

// A right-to-left override (U+202E) shows what follows it in reverse, up to a
// pop (U+202C) or the end of the paragraph. Isolates and embeddings (U+2067,
// U+202B) are not reversed: they keep Latin letters in reading order.
const OVERRIDE_RUN_RE = /\u202E([^\u202C\n\r\u0085\u2029]*)/g;

/**
 * `s` with each right-to-left override run in the order it is shown, so that
 * "\u202Eelgroz\u202C" reads "zorgle". `s` itself when it has no override.
 */
export function overridesInDisplayOrder(s: string): string {
  if (!s.includes("\u202E")) return s;
  return s.replace(OVERRIDE_RUN_RE, (_m, run: string) => `\u202E${reverseGraphemes(run)}`);
}

/** Reversed by user-perceived character, so an accent stays on its letter and an emoji whole. */
function reverseGraphemes(s: string): string {
  const parts = typeof Intl.Segmenter === "function" ? Array.from(new Intl.Segmenter().segment(s), (g) => g.segment) : Array.from(s);
  return parts.reverse().join("");
}
