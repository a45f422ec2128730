// oEmbed (https://oembed.com): GET /oembed?url=<a channel or replay page>&format=json
// answers a "video" with the player embed's iframe, so consumers that speak
// oEmbed (forums, CMSs, chat clients) embed the player; pages point here with
// <link rel="alternate" type="application/json+oembed">. Unknown URLs: 404;
// formats other than JSON: 501, as the specification says.
import { NextResponse } from "next/server";
import { EMBED_SIZE, SITE_NAME, fitEmbedSize, iframeHtml, oembedTarget, pixelLimit } from "../../lib/embed.ts";
import { expectedOrigin } from "../../lib/origin.ts";
import { channelShareInfo, replayShareInfo } from "../../lib/sharing.ts";
import { formatReplayTime, parseReplayTime } from "../../lib/replayLink.ts";

export const dynamic = "force-dynamic";

const CORS = { "Access-Control-Allow-Origin": "*" };

function refuse(status: number, message: string) {
  return new Response(`${message}\n`, { status, headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store", ...CORS } });
}

export async function GET(request: Request) {
  const sp = new URL(request.url).searchParams;
  const format = sp.get("format") ?? "json";
  if (format !== "json") return refuse(501, "Only format=json is offered.");
  const url = sp.get("url");
  if (!url) return refuse(400, "Give the page to embed as ?url=…");
  const origin = expectedOrigin(request.headers);
  const target = origin ? oembedTarget(url, [origin]) : null;
  if (!target) return refuse(404, "Not a channel or replay of this site.");
  const info = target.kind === "channel" ? await channelShareInfo(target.slug) : await replayShareInfo(target.slug, target.replayId);
  if (!info) return refuse(404, "No such channel or replay.");

  const size = fitEmbedSize(pixelLimit(sp.get("maxwidth")), pixelLimit(sp.get("maxheight")), EMBED_SIZE);
  const src = new URL(info.embedPath, origin!);
  // A replay link at a moment embeds the player at that moment.
  const t = target.kind === "replay" ? parseReplayTime(new URL(url).searchParams.get("t")) : null;
  if (t !== null) src.searchParams.set("t", formatReplayTime(t));
  const body = {
    version: "1.0",
    type: "video",
    provider_name: SITE_NAME,
    provider_url: new URL("/", origin!).toString(),
    title: info.title,
    author_name: info.authorName,
    author_url: new URL(info.channelPath, origin!).toString(),
    html: iframeHtml(src.toString(), info.title, size),
    width: size.width,
    height: size.height,
    cache_age: 3600,
    ...(info.poster
      ? { thumbnail_url: new URL(info.poster.path, origin!).toString(), thumbnail_width: info.poster.width, thumbnail_height: info.poster.height }
      : {}),
  };
  return NextResponse.json(body, { headers: { "Cache-Control": "public, max-age=300", ...CORS } });
}
