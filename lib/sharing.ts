// What a link to a channel or a replay shows when pasted elsewhere (Element,
// Discord, a forum): title, description, poster and the embeddable player. One
// place for the pages' Open Graph / Twitter tags and the oEmbed answer. Paths
// here are site-relative (media may already be absolute, with MEDIA_PUBLIC_URL);
// callers make them absolute with the site's origin (new URL(path, origin)).
import { getPublicChannel } from "./channels.ts";
import { db } from "./db.ts";
import { EMBED_PATH, PAGE_PATH, posterSize } from "./embed.ts";
import { formatDate } from "./format.ts";
import { formatDuration } from "./formatDuration.ts";
import { MEDIA_KEY, mediaUrl } from "./media/layout.ts";
import { getPublicReplay } from "./replays.ts";

export interface ShareInfo {
  title: string;
  description: string;
  /** The channel owner's display name. */
  authorName: string;
  channelPath: string;
  pagePath: string;
  embedPath: string;
  poster: { path: string; width: number; height: number } | null;
  /** A plain video file of it (a replay's MP4, once exported). */
  video: { path: string; type: string } | null;
}

const DESCRIPTION_MAX = 300;

function clamp(text: string): string {
  const t = text.replace(/\s+/g, " ").trim();
  return t.length <= DESCRIPTION_MAX ? t : `${t.slice(0, DESCRIPTION_MAX - 1)}…`;
}

/** The picture size of a session's first part (what its poster's aspect follows). */
async function sessionPoster(sessionId: string): Promise<ShareInfo["poster"]> {
  const part = await db().livePart.findFirst({ where: { sessionId }, orderBy: { index: "asc" }, select: { width: true, height: true } });
  return { path: mediaUrl(MEDIA_KEY.poster(sessionId)), ...posterSize(part) };
}

export async function channelShareInfo(slug: string): Promise<ShareInfo | null> {
  const channel = await getPublicChannel(slug);
  if (!channel) return null;
  // A channel has no picture of its own: its latest replay's poster stands for it.
  const latest = await db().replay.findFirst({ where: { channelId: channel.id, hasPoster: true }, orderBy: { createdAt: "desc" }, select: { sessionId: true } });
  return {
    title: channel.title,
    description: clamp(channel.description || `${channel.title}: live streams and chat by ${channel.owner.displayName}.`),
    authorName: channel.owner.displayName,
    channelPath: PAGE_PATH.channel(channel.slug),
    pagePath: PAGE_PATH.channel(channel.slug),
    embedPath: EMBED_PATH.channel(channel.slug),
    poster: latest ? await sessionPoster(latest.sessionId) : null,
    video: null,
  };
}

export async function replayShareInfo(slug: string, replayId: string): Promise<ShareInfo | null> {
  const [channel, replay] = await Promise.all([getPublicChannel(slug), getPublicReplay(replayId)]);
  if (!channel || !replay || replay.channel.slug !== channel.slug) return null;
  return {
    title: replay.title,
    description: clamp(`Replay of ${channel.title}, streamed ${formatDate(replay.session.startedAt)} (${formatDuration(replay.durationSeconds)}).`),
    authorName: channel.owner.displayName,
    channelPath: PAGE_PATH.channel(channel.slug),
    pagePath: PAGE_PATH.replay(channel.slug, replay.id),
    embedPath: EMBED_PATH.replay(channel.slug, replay.id),
    poster: replay.hasPoster ? await sessionPoster(replay.sessionId) : null,
    video: replay.exportStatus === "ready" ? { path: mediaUrl(MEDIA_KEY.mp4(replay.sessionId)), type: "video/mp4" } : null,
  };
}
