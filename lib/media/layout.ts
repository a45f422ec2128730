// The media layout: which keys exist in the media store, what each one is, and
// how viewers fetch it. One module, because workers write these keys, the web
// app serves them, the stores set their headers on upload, and the budget sweep
// deletes them; a key shape that drifts in one of those breaks the others.
//
//   live/<session>/master.m3u8 · master.json           the live master playlist (and its data)
//   live/<session>/<rendition>/index.m3u8 · index.json the live media playlist (and the full list)
//   live/<session>/<rendition>/p<part>e<epoch>-NNNNNN.ts  a transcoded segment
//   live/<session>/<rendition>/s<stamp>-NNNNNN.ts         a "be right back" slate segment
//   live/<session>/vod.m3u8 · <rendition>/vod.m3u8     the replay's playlists
//   live/<session>/replay.mp4 · poster.jpg · thumbs/NNNN.jpg   the replay's download and pictures
import { config } from "../config.ts";

export const liveKey = (sessionId: string) => `live/${sessionId}`;

export const MEDIA_KEY = {
  session: liveKey,
  master: (sessionId: string) => `${liveKey(sessionId)}/master.m3u8`,
  masterData: (sessionId: string) => `${liveKey(sessionId)}/master.json`,
  mediaPlaylist: (sessionId: string, rendition: string) => `${liveKey(sessionId)}/${rendition}/index.m3u8`,
  segmentList: (sessionId: string, rendition: string) => `${liveKey(sessionId)}/${rendition}/index.json`,
  segment: (sessionId: string, rendition: string, file: string) => `${liveKey(sessionId)}/${rendition}/${file}`,
  vodMaster: (sessionId: string) => `${liveKey(sessionId)}/vod.m3u8`,
  vodPlaylist: (sessionId: string, rendition: string) => `${liveKey(sessionId)}/${rendition}/vod.m3u8`,
  mp4: (sessionId: string) => `${liveKey(sessionId)}/replay.mp4`,
  poster: (sessionId: string) => `${liveKey(sessionId)}/poster.jpg`,
  thumbs: (sessionId: string) => `${liveKey(sessionId)}/thumbs`,
  thumb: (sessionId: string, n: number) => `${liveKey(sessionId)}/thumbs/${String(n).padStart(4, "0")}.jpg`,
} as const;

/** A transcoded segment's file name: part, transcode epoch (attempt) and sequence. */
export const segmentFileName = (prefix: string, n: number) => `${prefix}${String(n).padStart(6, "0")}.ts`;

// The only keys viewers may fetch. Anything else, including every "..", encoded or
// not, is refused before a store is asked (index.json and master.json stay private).
const VIEWABLE =
  /^live\/([0-9a-f-]{36})\/(?:(?:master|vod)\.m3u8|replay\.mp4|poster\.jpg|thumbs\/\d{4}\.jpg|[a-z0-9]+\/(?:(?:index|vod)\.m3u8|p\d+e\d+-\d{6}\.ts|s[0-9a-z]+-\d{6}\.ts))$/;

/** The session a viewable key belongs to, or null when viewers may not fetch the key. */
export function viewableSession(key: string): string | null {
  return VIEWABLE.exec(key)?.[1] ?? null;
}

/**
 * The viewable keys as S3 bucket-policy resource patterns ("*" matches any
 * characters, "/" included), for a bucket browsers read from directly
 * (MEDIA_PUBLIC_URL). Only Livehouse writes the bucket, so every key they match
 * is a viewable one; index.json and master.json match none.
 */
export const PUBLIC_MEDIA_PATTERNS = ["live/*.m3u8", "live/*.ts", "live/*/replay.mp4", "live/*.jpg"] as const;

const TYPES: Record<string, string> = {
  m3u8: "application/vnd.apple.mpegurl",
  ts: "video/mp2t",
  mp4: "video/mp4",
  jpg: "image/jpeg",
  json: "application/json",
};

export function contentTypeFor(key: string): string {
  return TYPES[key.slice(key.lastIndexOf(".") + 1)] ?? "application/octet-stream";
}

/**
 * Live playlists change every segment; everything else never changes once it exists
 * (a segment's name is unique to its part and attempt; a replay's files are written
 * once). The stores set this on upload, so a CDN in front of a bucket caches right.
 */
export function cacheControlFor(key: string): string {
  if (key.endsWith(".m3u8") || key.endsWith(".json")) return "no-cache, no-store, must-revalidate";
  return "public, max-age=31536000, immutable";
}

/** Extra headers of a key as served (the MP4 downloads under a readable name). */
export function contentDispositionFor(key: string): string | undefined {
  return key.endsWith("/replay.mp4") ? 'inline; filename="replay.mp4"' : undefined;
}

/**
 * Where a browser fetches a key: through the web app (`/hls/<key>`, the default) or
 * straight from the bucket or its CDN when MEDIA_PUBLIC_URL is set.
 */
export function mediaUrl(key: string): string {
  const base = config.mediaPublicUrl;
  return base ? `${base}/${key}` : `/hls/${key}`;
}

/** The origin media comes from when it is not this site's (for the CSP), or null. */
export function mediaOrigin(): string | null {
  const base = config.mediaPublicUrl;
  if (!base) return null;
  try {
    return new URL(base).origin;
  } catch {
    return null;
  }
}
