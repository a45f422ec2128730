// Link previews on the channel and replay pages: Open Graph and Twitter player
// tags and the oEmbed discovery link, with absolute URLs on this site's origin
// (PUBLIC_URL when set, as mail links are; else the host the page was asked for).
import type { Metadata } from "next";
import { headers } from "next/headers";
import { EMBED_SIZE, OEMBED_PATH, SITE_NAME } from "../../lib/embed.ts";
import { expectedOrigin } from "../../lib/origin.ts";
import type { ShareInfo } from "../../lib/sharing.ts";

/** This site's origin as links to it must be written. */
export async function siteOrigin(): Promise<string> {
  return expectedOrigin(await headers()) ?? "http://localhost";
}

export function oembedUrl(origin: string, pageUrl: string): string {
  const u = new URL(OEMBED_PATH, origin);
  u.searchParams.set("url", pageUrl);
  u.searchParams.set("format", "json");
  return u.toString();
}

export async function sharingMetadata(info: ShareInfo): Promise<Metadata> {
  const origin = await siteOrigin();
  const abs = (path: string) => new URL(path, origin).toString();
  const page = abs(info.pagePath);
  const embed = abs(info.embedPath);
  const image = info.poster && abs(info.poster.path);
  const secure = (url: string) => (url.startsWith("https:") ? { secureUrl: url } : {});
  return {
    title: info.title,
    description: info.description,
    alternates: { canonical: page, types: { "application/json+oembed": [{ url: oembedUrl(origin, page), title: info.title }] } },
    openGraph: {
      type: "video.other",
      siteName: SITE_NAME,
      title: info.title,
      description: info.description,
      url: page,
      ...(info.poster && image ? { images: [{ url: image, ...secure(image), width: info.poster.width, height: info.poster.height, alt: info.title }] } : {}),
      videos: [
        { url: embed, ...secure(embed), type: "text/html", width: EMBED_SIZE.width, height: EMBED_SIZE.height },
        ...(info.video ? [{ url: abs(info.video.path), ...secure(abs(info.video.path)), type: info.video.type, width: EMBED_SIZE.width, height: EMBED_SIZE.height }] : []),
      ],
    },
    // Next writes the card, title, description and image; the player tags are written out, because its
    // `players` insists on a raw stream URL (twitter:player:stream, optional for Twitter) a live channel does not have.
    twitter: { card: "player", title: info.title, description: info.description, ...(image ? { images: [image] } : {}), players: [] },
    other: {
      "twitter:player": embed,
      "twitter:player:width": String(EMBED_SIZE.width),
      "twitter:player:height": String(EMBED_SIZE.height),
    },
  };
}
