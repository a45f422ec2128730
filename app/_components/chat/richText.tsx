// Message text as React elements. Chat text comes from anyone on any Matrix
// server, so nothing here produces raw HTML: `body` is plain text with links
// made clickable, and `formatted_body` is parsed in an inert document and
// rebuilt from an allow-list of tags (no attributes except a checked href).
// The tag tables are shared with the word filter (lib/chat/htmlPolicy.ts).
// Bidi controls and zero-width characters are dropped from all text (see
// lib/chat/invisible.ts), and long messages can be cut to a character budget.
import { createElement, type ReactNode } from "react";
import { DROP_TAGS, HTML_LIMITS, shownTag } from "../../../lib/chat/htmlPolicy.ts";
import { stripInvisible } from "../../../lib/chat/invisible.ts";

const LINK_REL = "noopener noreferrer nofollow ugc";
const URL_RE = /\bhttps?:\/\/[^\s<>"'`]+/gi;
const TRAILING = /[)\].,!?;:'"]+$/;

function safeHref(raw: string): string | null {
  try {
    const u = new URL(raw);
    return u.protocol === "https:" || u.protocol === "http:" || u.protocol === "mailto:" ? u.href : null;
  } catch {
    return null;
  }
}

/** Text as shown: without invisible characters (emoji joiners kept). */
const visible = (text: string) => stripInvisible(text, { keepEmojiJoiners: true });

/** Where to cut `text` to at most `max` UTF-16 units without splitting a surrogate pair. */
function cutAt(text: string, max: number): number {
  if (max >= text.length) return text.length;
  if (max <= 0) return 0;
  const c = text.charCodeAt(max - 1);
  return c >= 0xd800 && c <= 0xdbff ? max - 1 : max;
}

/**
 * Plain text with http(s) links as anchors. Links are never fetched or previewed.
 * With `end`, only text[0, end) is shown, and a link the cut runs through stays plain
 * text (a shortened URL must not lead somewhere else).
 */
export function linkify(text: string, key = "t", end = text.length): ReactNode[] {
  const out: ReactNode[] = [];
  let last = 0;
  let n = 0;
  for (const m of text.matchAll(URL_RE)) {
    let url = m[0];
    const trail = TRAILING.exec(url)?.[0] ?? "";
    // Keep a closing parenthesis that belongs to the URL, as in Wikipedia links.
    if (trail) url = url.slice(0, url.length - trail.length);
    const start = m.index ?? 0;
    if (start + url.length > end) break;
    const href = safeHref(url);
    if (!href) continue;
    if (start > last) out.push(text.slice(last, start));
    out.push(
      <a key={`${key}-${n++}`} href={href} target="_blank" rel={LINK_REL}>
        {url}
      </a>,
    );
    last = start + url.length;
  }
  if (last < end) out.push(text.slice(last, end));
  return out;
}

/**
 * Characters of visible text: `left` still to show, `seen` in all (shown or not).
 * Once `left` is spent, text is counted but no longer shown, nor are elements.
 */
interface Chars {
  left: number;
  seen: number;
}

/** The part of a text node to show, counting all of it. */
function take(text: string, chars: Chars): { text: string; end: number } {
  chars.seen += text.length;
  const end = cutAt(text, chars.left);
  chars.left -= end;
  return { text, end };
}

function rebuild(nodes: NodeListOf<ChildNode>, depth: number, inLink: boolean, budget: { left: number }, chars: Chars, key: string): ReactNode[] {
  const out: ReactNode[] = [];
  let i = 0;
  for (const node of Array.from(nodes)) {
    if (--budget.left < 0) break;
    const k = `${key}.${i++}`;
    if (node.nodeType === 3 /* text */) {
      const { text, end } = take(visible(node.textContent ?? ""), chars);
      if (end > 0) out.push(...(inLink ? [text.slice(0, end)] : linkify(text, k, end)));
      continue;
    }
    if (node.nodeType !== 1 /* element */) continue;
    const el = node as Element;
    const tag = el.localName;
    if (DROP_TAGS.has(tag)) continue;
    const spent = chars.left <= 0;
    if (depth >= HTML_LIMITS.maxDepth) {
      const { text, end } = take(visible(el.textContent ?? ""), chars);
      if (end > 0) out.push(text.slice(0, end));
      continue;
    }
    const children = rebuild(el.childNodes, depth + 1, inLink || tag === "a", budget, chars, k);
    // Past the cut: read only to count the text.
    if (spent) continue;
    if (tag === "a") {
      const href = inLink ? null : safeHref(el.getAttribute("href") ?? "");
      out.push(href ? createElement("a", { key: k, href, target: "_blank", rel: LINK_REL }, ...children) : createElement("span", { key: k }, ...children));
      continue;
    }
    const name = shownTag(tag);
    if (name === "br") out.push(<br key={k} />);
    else if (name) out.push(createElement(name, { key: k }, ...children));
    else out.push(...children);
  }
  return out;
}

function hasText(nodes: ReactNode[]): boolean {
  return nodes.some((n) => (typeof n === "string" ? n.trim() !== "" : n !== null && n !== undefined && n !== false));
}

export interface MessageText {
  nodes: ReactNode[];
  /** Characters of visible text in the whole message; more than `maxChars` means `nodes` is cut. */
  length: number;
}

/**
 * The message's visible text, at most `maxChars` characters of it.
 * `formatted_body` (org.matrix.custom.html) is used only in the browser and
 * only when something survives the allow-list.
 */
export function messageText(content: Record<string, unknown>, maxChars = Infinity): MessageText {
  const body = typeof content.body === "string" ? content.body : "";
  const relates = content["m.relates_to"] as { "m.in_reply_to"?: unknown } | undefined;
  if (content.format === "org.matrix.custom.html" && typeof content.formatted_body === "string" && typeof DOMParser !== "undefined") {
    // A DOMParser document has no browsing context: no scripts run and nothing
    // (images, styles) is fetched while we read it.
    const doc = new DOMParser().parseFromString(content.formatted_body.slice(0, HTML_LIMITS.maxChars), "text/html");
    const chars: Chars = { left: maxChars, seen: 0 };
    const nodes = rebuild(doc.body.childNodes, 0, false, { left: HTML_LIMITS.maxNodes }, chars, "h");
    if (hasText(nodes)) return { nodes: [<span key="html" className="chat-html">{nodes}</span>], length: chars.seen };
  }
  const text = visible(relates?.["m.in_reply_to"] ? stripReplyFallback(body) : body);
  return { nodes: linkify(text, "t", cutAt(text, maxChars)), length: text.length };
}

/** Plain text (a file name, a removal reason) as shown: invisible characters dropped, cut to `maxChars` with "…". */
export function plainText(text: string, maxChars = Infinity): string {
  const v = visible(text);
  return v.length > maxChars ? `${v.slice(0, cutAt(v, maxChars))}…` : v;
}

/** Replies carry the quoted message as "> <@user> text" lines before a blank line. */
function stripReplyFallback(body: string): string {
  if (!body.startsWith("> ")) return body;
  const lines = body.split("\n");
  let i = 0;
  while (i < lines.length && lines[i].startsWith("> ")) i++;
  if (i < lines.length && lines[i] === "") return lines.slice(i + 1).join("\n");
  return body;
}
