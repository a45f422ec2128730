// Embeds and link previews: the player embed's URLs and options, what an oEmbed
// request asks about, and the size of the iframe it gets. Pure; the embed pages,
// the oEmbed route and the pages' Open Graph tags use it.

export const EMBED_PATH = {
  channel: (slug: string) => `/embed/${encodeURIComponent(slug)}`,
  replay: (slug: string, replayId: string) => `/embed/${encodeURIComponent(slug)}/replays/${replayId}`,
} as const;

export const PAGE_PATH = {
  channel: (slug: string) => `/c/${encodeURIComponent(slug)}`,
  replay: (slug: string, replayId: string) => `/c/${encodeURIComponent(slug)}/replays/${replayId}`,
} as const;

export const OEMBED_PATH = "/oembed";

/** The provider name in link previews and oEmbed answers. */
export const SITE_NAME = "Livehouse";

/** The player's default size (16:9) in an oEmbed answer and the share snippet. */
export const EMBED_SIZE = { width: 640, height: 360 } as const;

/**
 * The poster's size: the export scales a frame of the replay to 640 wide, the
 * height following the picture's aspect rounded to even (lib/ffmpeg/replayExport.ts
 * posterSpec). `source`: the stream's picture size, when known.
 */
export function posterSize(source?: { width: number | null; height: number | null } | null): { width: number; height: number } {
  const w = source?.width;
  const h = source?.height;
  if (!w || !h) return { width: 640, height: 360 };
  return { width: 640, height: Math.max(2, Math.round((640 * h) / w / 2) * 2) };
}

export interface EmbedFlags {
  /** Show the chat beside the player (`?chat=1`). */
  chat: boolean;
  /** Start playing on load (`?autoplay`); browsers allow that only muted, so the player mutes if it must. */
  autoplay: boolean;
  /** Start muted (`?muted`). */
  muted: boolean;
}

type SearchParams = Record<string, string | string[] | undefined>;

/** A flag is on when present without a value (`?autoplay`) or with 1/true/yes. */
function flag(sp: SearchParams, name: string): boolean {
  const raw = sp[name];
  if (raw === undefined) return false;
  const v = (Array.isArray(raw) ? raw[0] : raw).trim().toLowerCase();
  return v === "" || v === "1" || v === "true" || v === "yes";
}

export function embedFlags(sp: SearchParams): EmbedFlags {
  return { chat: flag(sp, "chat"), autoplay: flag(sp, "autoplay"), muted: flag(sp, "muted") };
}

export type OembedTarget = { kind: "channel"; slug: string } | { kind: "replay"; slug: string; replayId: string };

const CHANNEL_PAGE = /^\/(?:c|embed)\/([^/]+)\/?$/;
const REPLAY_PAGE = /^\/(?:c|embed)\/([^/]+)\/replays\/([0-9a-f-]{36})\/?$/i;

/**
 * The channel or replay a URL names, when it is one of this site's channel,
 * replay or embed pages (`siteOrigins`: where this site is reached); null for
 * anything else.
 */
export function oembedTarget(url: string, siteOrigins: readonly string[]): OembedTarget | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if ((u.protocol !== "http:" && u.protocol !== "https:") || u.username || u.password) return null;
  if (!siteOrigins.some((o) => o.toLowerCase() === u.origin.toLowerCase())) return null;
  let path: string;
  try {
    path = decodeURIComponent(u.pathname);
  } catch {
    return null;
  }
  const replay = REPLAY_PAGE.exec(path);
  if (replay) return { kind: "replay", slug: replay[1], replayId: replay[2].toLowerCase() };
  const channel = CHANNEL_PAGE.exec(path);
  return channel ? { kind: "channel", slug: channel[1] } : null;
}

/** A positive whole number of pixels from an oEmbed maxwidth/maxheight parameter, or undefined (none, or not a number). */
export function pixelLimit(value: string | null): number | undefined {
  if (value === null || !/^\s*\d{1,6}\s*$/.test(value)) return undefined;
  const n = Number(value);
  return n > 0 ? n : undefined;
}

/** The largest 16:9 size up to the default that fits within maxwidth × maxheight (never below 1 px). */
export function fitEmbedSize(maxwidth?: number, maxheight?: number, size: { width: number; height: number } = EMBED_SIZE): { width: number; height: number } {
  let scale = 1;
  if (maxwidth !== undefined) scale = Math.min(scale, maxwidth / size.width);
  if (maxheight !== undefined) scale = Math.min(scale, maxheight / size.height);
  const width = Math.max(1, Math.floor(size.width * scale));
  const height = Math.max(1, Math.floor(size.height * scale));
  return { width, height };
}

/** The iframe snippet for an embed URL. */
export function iframeHtml(src: string, title: string, size: { width: number; height: number }): string {
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return `<iframe src="${esc(src)}" width="${size.width}" height="${size.height}" title="${esc(title)}" frameborder="0" allow="autoplay; fullscreen; picture-in-picture" allowfullscreen></iframe>`;
}
