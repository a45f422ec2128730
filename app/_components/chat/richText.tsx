// Message text as React elements. Chat text comes from anyone on any Matrix
// server, so nothing here produces raw HTML: `body` is plain text with links
// made clickable, and `formatted_body` is parsed in an inert document and
// rebuilt from an allow-list of tags (no attributes except a checked href).
import { createElement, type ReactNode } from "react";

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

/** Plain text with http(s) links as anchors. Links are never fetched or previewed. */
export function linkify(text: string, key = "t"): ReactNode[] {
  const out: ReactNode[] = [];
  let last = 0;
  let n = 0;
  for (const m of text.matchAll(URL_RE)) {
    let url = m[0];
    const trail = TRAILING.exec(url)?.[0] ?? "";
    // Keep a closing parenthesis that belongs to the URL, as in Wikipedia links.
    if (trail) url = url.slice(0, url.length - trail.length);
    const href = safeHref(url);
    if (!href) continue;
    const start = m.index ?? 0;
    if (start > last) out.push(text.slice(last, start));
    out.push(
      <a key={`${key}-${n++}`} href={href} target="_blank" rel={LINK_REL}>
        {url}
      </a>,
    );
    last = start + url.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

// Tags kept as they are; everything else is unwrapped (its text kept) or, for
// DROP, removed with its content.
const KEEP = new Set(["b", "strong", "i", "em", "u", "s", "del", "code", "pre", "br", "p", "blockquote", "ul", "ol", "li", "sup", "sub", "span"]);
const RENAME: Record<string, string> = { strike: "s", h1: "strong", h2: "strong", h3: "strong", h4: "strong", h5: "strong", h6: "strong", font: "span" };
const DROP = new Set([
  "mx-reply", "script", "style", "template", "noscript", "head", "title", "meta", "link", "base",
  "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math", "img", "picture", "video", "audio", "source", "track", "canvas",
  "form", "input", "button", "textarea", "select", "option",
]);
const MAX_DEPTH = 24;
const MAX_NODES = 2000;

function rebuild(nodes: NodeListOf<ChildNode>, depth: number, inLink: boolean, budget: { left: number }, key: string): ReactNode[] {
  const out: ReactNode[] = [];
  let i = 0;
  for (const node of Array.from(nodes)) {
    if (--budget.left < 0) break;
    const k = `${key}.${i++}`;
    if (node.nodeType === 3 /* text */) {
      const text = node.textContent ?? "";
      out.push(...(inLink ? [text] : linkify(text, k)));
      continue;
    }
    if (node.nodeType !== 1 /* element */) continue;
    const el = node as Element;
    const tag = el.localName;
    if (DROP.has(tag)) continue;
    if (depth >= MAX_DEPTH) {
      out.push(el.textContent ?? "");
      continue;
    }
    const children = rebuild(el.childNodes, depth + 1, inLink || tag === "a", budget, k);
    if (tag === "a") {
      const href = inLink ? null : safeHref(el.getAttribute("href") ?? "");
      out.push(href ? createElement("a", { key: k, href, target: "_blank", rel: LINK_REL }, ...children) : createElement("span", { key: k }, ...children));
      continue;
    }
    const name = KEEP.has(tag) ? tag : RENAME[tag];
    if (name === "br") out.push(<br key={k} />);
    else if (name) out.push(createElement(name, { key: k }, ...children));
    else out.push(...children);
  }
  return out;
}

function hasText(nodes: ReactNode[]): boolean {
  return nodes.some((n) => (typeof n === "string" ? n.trim() !== "" : n !== null && n !== undefined && n !== false));
}

/**
 * The message's visible text. `formatted_body` (org.matrix.custom.html) is used
 * only in the browser and only when something survives the allow-list.
 */
export function messageText(content: Record<string, unknown>): ReactNode[] {
  const body = typeof content.body === "string" ? content.body : "";
  const relates = content["m.relates_to"] as { "m.in_reply_to"?: unknown } | undefined;
  if (content.format === "org.matrix.custom.html" && typeof content.formatted_body === "string" && typeof DOMParser !== "undefined") {
    // A DOMParser document has no browsing context: no scripts run and nothing
    // (images, styles) is fetched while we read it.
    const doc = new DOMParser().parseFromString(content.formatted_body.slice(0, 20_000), "text/html");
    const nodes = rebuild(doc.body.childNodes, 0, false, { left: MAX_NODES }, "h");
    if (hasText(nodes)) return [<span key="html" className="chat-html">{nodes}</span>];
  }
  return linkify(relates?.["m.in_reply_to"] ? stripReplyFallback(body) : body);
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
