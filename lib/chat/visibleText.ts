// The text a Matrix event shows, for the word filter: every string a client may
// display, with HTML read the way a browser reads it. Server side (parse5, the
// WHATWG parser the browser's DOMParser also implements); the browser widget
// reads the same tag policy from lib/chat/htmlPolicy.ts.
import { parse, type DefaultTreeAdapterTypes as T } from "parse5";
import { BLOCK_TAGS, DROP_TAGS, HTML_LIMITS, shownTag } from "./htmlPolicy.ts";

export { foldForFilter } from "./invisible.ts";

type Node = T.ChildNode;

const isElement = (n: Node | T.Document): n is T.Element => "tagName" in n;
const isText = (n: Node): n is T.TextNode => n.nodeName === "#text";

/**
 * `html` as DOMParser reads it: a whole document (what the widget shows is
 * the children of <body>), parsed with scripting off, so <noscript> content
 * is markup as in DOMParser.
 */
function parseHtml(html: string): T.Document {
  return parse(html, { scriptingEnabled: false });
}

/** The children of <body> (or <frameset>, DOM's document.body). */
function bodyNodes(doc: T.Document): Node[] {
  const root = doc.childNodes.find((n) => isElement(n) && n.tagName === "html") as T.Element | undefined;
  const body = root?.childNodes.find((n) => isElement(n) && (n.tagName === "body" || n.tagName === "frameset"));
  return body && isElement(body) ? body.childNodes : [];
}

/** Every text node below `el`, joined, like the DOM's textContent. A loop: nesting can be thousands deep. */
function textContent(el: T.Element): string {
  const out: string[] = [];
  const stack: Node[] = [...el.childNodes].reverse();
  for (let n = stack.pop(); n; n = stack.pop()) {
    if (isText(n)) out.push(n.value);
    else if (isElement(n)) for (let i = n.childNodes.length - 1; i >= 0; i--) stack.push(n.childNodes[i]);
  }
  return out.join("");
}

/**
 * Mirrors rebuild() in app/_components/chat/richText.tsx step for step (node
 * budget, depth limit, dropped tags), emitting text instead of elements: a
 * space around blocks, nothing around inline elements.
 */
function widgetText(nodes: Node[], depth: number, budget: { left: number }, out: string[]): void {
  for (const node of nodes) {
    if (--budget.left < 0) break;
    if (isText(node)) {
      out.push(node.value);
      continue;
    }
    if (!isElement(node) || DROP_TAGS.has(node.tagName)) continue;
    if (depth >= HTML_LIMITS.maxDepth) {
      out.push(textContent(node));
      continue;
    }
    const block = BLOCK_TAGS.has(shownTag(node.tagName) ?? "");
    if (block) out.push(" ");
    widgetText(node.childNodes, depth + 1, budget, out);
    if (block) out.push(" ");
  }
}

// Other clients (Element, FluffyChat…) sanitise differently: most keep the text
// of tags they do not allow (a <form>, an <svg>), and show HTML's block
// elements on lines of their own. Only these are never shown by anyone.
const NEVER_SHOWN = new Set(["script", "style"]);
const HTML_BLOCKS = new Set([
  ...BLOCK_TAGS, "address", "article", "aside", "caption", "dd", "details", "dialog", "div", "dl", "dt", "fieldset", "figcaption", "figure",
  "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "legend", "main", "nav", "option", "section", "summary",
  "table", "tbody", "td", "textarea", "tfoot", "th", "thead", "tr",
]);

/**
 * The text of the whole document (<head> too: a sanitiser reading the markup
 * as a string keeps the text of a <title>) as any client might show it.
 * A loop: nesting can be thousands deep.
 */
function anyClientText(nodes: Node[]): string {
  const out: string[] = [];
  const stack: (Node | " ")[] = [...nodes].reverse();
  for (let n = stack.pop(); n; n = stack.pop()) {
    if (n === " ") out.push(n);
    else if (isText(n)) out.push(n.value);
    else if (isElement(n) && !NEVER_SHOWN.has(n.tagName)) {
      const block = HTML_BLOCKS.has(n.tagName);
      if (block) stack.push(" ");
      const children = n.tagName === "template" ? (n as T.Template).content.childNodes : n.childNodes;
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
      // Element shows a spoiler's reason next to it.
      const spoiler = n.attrs.find((a) => a.name === "data-mx-spoiler")?.value;
      if (spoiler) stack.push(" ", { nodeName: "#text", value: spoiler } as T.TextNode, " ");
      if (block) stack.push(" ");
    }
  }
  return out.join("");
}

/** What the chat widget shows of `doc`, as plain text. */
function widgetView(doc: T.Document): string {
  const out: string[] = [];
  widgetText(bodyNodes(doc), 0, { left: HTML_LIMITS.maxNodes }, out);
  return out.join("");
}

/** What the chat widget shows of `html` (a formatted_body), as plain text. */
export function htmlVisibleText(html: string): string {
  return widgetView(parseHtml(html.slice(0, HTML_LIMITS.maxChars)));
}

/** The texts `html` may show: in the widget, and in other clients. */
export function htmlVisibleTexts(html: string): string[] {
  const doc = parseHtml(html);
  // The widget reads only the start; parsing less can build a different tree.
  const widgetDoc = html.length > HTML_LIMITS.maxChars ? parseHtml(html.slice(0, HTML_LIMITS.maxChars)) : doc;
  return [...new Set([widgetView(widgetDoc), anyClientText(doc.childNodes)])];
}

const MAX_DEPTH = 8; // deep enough for a poll answer in an edit: m.new_content › m.poll › answers › [i] › m.text › [j] › body
const MAX_STRINGS = 200;

// Keys whose values clients do not show as text: ids, links, machine names.
const HIDDEN_KEYS = new Set([
  "event_id", "url", "uri", "geo_uri", "thumbnail_url", "avatar_url", "mimetype", "format", "msgtype", "info", "file", "thumbnail_file",
  "m.relates_to", "m.mentions", "type", "kind", "id", "m.id", "algorithm",
]);
// Keys whose values are HTML (formatted_body, and MSC1767's older html keys).
const HTML_KEYS = new Set(["formatted_body", "m.html", "org.matrix.msc1767.html"]);
// Event types with no text of their own to show (a redaction's reason is shown as the redactor's).
const NO_TEXT_TYPES = new Set(["m.room.redaction", "m.room.encrypted"]);

/**
 * Every string a client may show for an event: the strings in its content
 * (an edit's m.new_content, poll questions and answers, custom events alike),
 * HTML as its visible text, minus ids, links and machine names. A member
 * event shows only its display name; a reaction its key.
 */
export function eventTexts(type: string, content: Record<string, unknown> | undefined): string[] {
  if (!content || NO_TEXT_TYPES.has(type) || type.startsWith("m.call.")) return [];
  if (type === "m.room.member") return typeof content.displayname === "string" ? [content.displayname] : [];
  const out: string[] = [];
  if (type === "m.reaction") {
    const key = (content["m.relates_to"] as { key?: unknown } | undefined)?.key;
    if (typeof key === "string") out.push(key);
  }
  collect(content, 0, out);
  return out;
}

function collect(value: unknown, depth: number, out: string[]): void {
  if (out.length >= MAX_STRINGS || depth > MAX_DEPTH) return;
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const v of value) collect(v, depth + 1, out);
  else if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    // An MSC1767 representation: { mimetype: "text/html", body: "<b>…</b>" }.
    const htmlBody = o.mimetype === "text/html" && typeof o.body === "string";
    for (const [k, v] of Object.entries(o)) {
      if (HIDDEN_KEYS.has(k)) continue;
      if (typeof v === "string" && (HTML_KEYS.has(k) || (htmlBody && k === "body"))) out.push(...htmlVisibleTexts(v));
      else collect(v, depth + 1, out);
    }
  }
}
