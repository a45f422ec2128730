// How the chat widget shows a message's HTML (formatted_body): which tags it
// keeps, which it shows as another tag, which it removes with their content,
// and where it stops reading. The widget (app/_components/chat/richText.tsx,
// with the browser's DOMParser) and the word filter (lib/chat/visibleText.ts,
// with parse5) both read these tables, so the filter sees the words the
// widget shows. Dependency-free: imported by browser code.

/** Tags shown as they are. Every other tag is unwrapped (its content kept) unless renamed or dropped. */
export const KEEP_TAGS: ReadonlySet<string> = new Set([
  "b", "strong", "i", "em", "u", "s", "del", "code", "pre", "br", "p", "blockquote", "ul", "ol", "li", "sup", "sub", "span",
]);

// A Map, not an object literal: a tag named like an Object.prototype member
// (<constructor>) must not look up a function.
const RENAME_TAGS: ReadonlyMap<string, string> = new Map([
  ["strike", "s"],
  // Headings are shown as bold text in the line, not as blocks.
  ["h1", "strong"], ["h2", "strong"], ["h3", "strong"], ["h4", "strong"], ["h5", "strong"], ["h6", "strong"],
  ["font", "span"],
]);

/** Tags removed together with everything inside them. */
export const DROP_TAGS: ReadonlySet<string> = new Set([
  "mx-reply", "script", "style", "template", "noscript", "head", "title", "meta", "link", "base",
  "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math", "img", "picture", "video", "audio", "source", "track", "canvas",
  "form", "input", "button", "textarea", "select", "option",
]);

/**
 * Of the tags the widget shows, those that start a line of their own: text on
 * either side does not join into one word. Every other element (a, b, span,
 * the renamed headings, unwrapped div or td…) is inline: "<i>zor</i>gle" and
 * "<div>zor</div>gle" both show as one word.
 */
export const BLOCK_TAGS: ReadonlySet<string> = new Set(["br", "p", "blockquote", "ul", "ol", "li", "pre"]);

export const HTML_LIMITS = {
  /** Only this much of formatted_body is parsed. */
  maxChars: 20_000,
  /** Below this depth an element is shown as its plain text content (dropped tags' text included). */
  maxDepth: 24,
  /** Nodes read in all; the rest of the message is not shown. */
  maxNodes: 2000,
} as const;

/** The tag the widget builds for an element: the same, a substitute, or undefined when only its content is shown. */
export function shownTag(tag: string): string | undefined {
  return KEEP_TAGS.has(tag) ? tag : RENAME_TAGS.get(tag);
}
