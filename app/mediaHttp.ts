// Serves /hls/* (live and replay playlists and segments) and /vendor/* (the
// player scripts) straight from the HTTP server, before Next.js: these are hot
// paths, and they need exact content types and caching.
import type http from "node:http";
import { createReadStream } from "node:fs";
import { createRequire } from "node:module";
import { db } from "../lib/db.ts";
import type { Rendition } from "../lib/ffmpeg/liveLadder.ts";
import { replayMasterPlaylist } from "../lib/hls/playlist.ts";
import { MEDIA_KEY, cacheControlFor, contentDispositionFor, contentTypeFor, viewableSession } from "../lib/media/layout.ts";
import { mediaStore } from "../lib/media/store.ts";

const require = createRequire(import.meta.url);

const JS_TYPE = "text/javascript; charset=utf-8";

const VENDOR: Record<string, string> = {
  "/vendor/ovenplayer.js": require.resolve("ovenplayer/dist/ovenplayer.js"),
  "/vendor/hls.min.js": require.resolve("hls.js/dist/hls.min.js"),
};

// Media is served only for sessions that exist: a deleted channel's (or account's) files
// may outlive their rows until the purge job has run, and a start that failed before its
// row was written leaves files nobody may see. Answers are cached briefly per process,
// since every segment request asks.
const KNOWN_MS = 5000;
const UNKNOWN_MS = 1000;
const sessionCache = new Map<string, { exists: boolean; until: number }>();

async function sessionExists(id: string): Promise<boolean> {
  const now = Date.now();
  const hit = sessionCache.get(id);
  if (hit && hit.until > now) return hit.exists;
  const exists = (await db().liveSession.findUnique({ where: { id }, select: { id: true } })) !== null;
  if (sessionCache.size > 10_000) sessionCache.clear();
  sessionCache.set(id, { exists, until: now + (exists ? KNOWN_MS : UNKNOWN_MS) });
  return exists;
}

/**
 * A replay's master playlist, made from its row (lib/hls/playlist.ts writes the same
 * text to the store): every replay viewer's first request, answered without a read of
 * the store, which with media in a bucket is a round trip. null: no such replay;
 * undefined: a replay made before its row kept its renditions (the store has it).
 */
async function replayMasterFromRow(sessionId: string): Promise<string | null | undefined> {
  const replay = await db().replay.findUnique({ where: { sessionId }, select: { renditions: true } });
  if (!replay) return (await sessionExists(sessionId)) ? undefined : null;
  return Array.isArray(replay.renditions) ? replayMasterPlaylist(replay.renditions as unknown as Rendition[]) : undefined;
}

const CORS = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
  "Access-Control-Allow-Headers": "Range",
  "Access-Control-Expose-Headers": "Content-Length, Content-Range",
};

/** What every media answer carries: CORS, and the key's type, caching and disposition from the layout. */
function mediaHeaders(key: string): Record<string, string> {
  const headers: Record<string, string> = { ...CORS, "Content-Type": contentTypeFor(key), "Cache-Control": cacheControlFor(key), "X-Content-Type-Options": "nosniff" };
  const disposition = contentDispositionFor(key);
  if (disposition) headers["Content-Disposition"] = disposition;
  return headers;
}

function notFound(res: http.ServerResponse) {
  res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8", "Access-Control-Allow-Origin": "*" }).end("Not found");
}

/** Returns true when it answered the request. */
export function serveMedia(req: http.IncomingMessage, res: http.ServerResponse): boolean {
  const url = req.url ?? "/";
  if (!url.startsWith("/hls/") && !url.startsWith("/vendor/")) return false;
  if (req.method !== "GET" && req.method !== "HEAD" && req.method !== "OPTIONS") {
    res.writeHead(405, { Allow: "GET, HEAD, OPTIONS" }).end();
    return true;
  }
  const path = url.split("?")[0];
  if (path.startsWith("/vendor/")) {
    const file = VENDOR[path];
    if (!file) return notFound(res), true;
    res.writeHead(200, { "Content-Type": JS_TYPE, "Cache-Control": "public, max-age=86400" });
    if (req.method === "HEAD") res.end();
    else createReadStream(file).pipe(res);
    return true;
  }
  if (req.method === "OPTIONS") {
    res.writeHead(204, { ...CORS, "Access-Control-Max-Age": "86400" }).end();
    return true;
  }
  // Only the layout's viewable keys exist here; anything else (every "..", encoded or not)
  // is a 404 before a store is asked.
  const key = path.slice("/hls/".length);
  const sessionId = viewableSession(key);
  if (!sessionId) return notFound(res), true;
  void (async () => {
    if (key === MEDIA_KEY.vodMaster(sessionId) && req.method === "GET") {
      const master = await replayMasterFromRow(sessionId);
      if (master !== undefined) {
        if (master === null) return notFound(res);
        res.writeHead(200, { ...mediaHeaders(key), "Content-Length": String(Buffer.byteLength(master)) });
        res.end(master);
        return;
      }
    }
    if (!(await sessionExists(sessionId))) return notFound(res);
    const store = mediaStore();
    // A plain GET (what players send for segments) is one read of the store; a Range or a HEAD
    // asks the size first (with a bucket, one request each).
    const whole = req.method === "GET" && !req.headers.range ? await store.read(key) : null;
    const size = whole ? whole.size : await store.size(key);
    if (size === null) return notFound(res);
    const headers: Record<string, string> = { ...mediaHeaders(key), "Accept-Ranges": "bytes" };
    const range = parseRange(req.headers.range, size);
    if (range === "invalid") {
      res.writeHead(416, { ...headers, "Content-Range": `bytes */${size}` }).end();
      return;
    }
    if (req.method === "HEAD") {
      res.writeHead(range ? 206 : 200, { ...headers, "Content-Length": String(range ? range.end - range.start + 1 : size), ...(range ? { "Content-Range": `bytes ${range.start}-${range.end}/${size}` } : {}) }).end();
      return;
    }
    const read = whole ?? (await store.read(key, range ?? undefined));
    if (!read) return notFound(res);
    if (range) {
      res.writeHead(206, { ...headers, "Content-Length": String(range.end - range.start + 1), "Content-Range": `bytes ${range.start}-${range.end}/${read.size}` });
    } else {
      res.writeHead(200, { ...headers, "Content-Length": String(read.size) });
    }
    // A viewer that goes away mid-file must not keep the store's stream (a file, a bucket connection) open.
    res.on("close", () => read.body.destroy());
    read.body.on("error", () => res.destroy()).pipe(res);
  })().catch(() => {
    if (!res.headersSent) notFound(res);
    else res.destroy();
  });
  return true;
}

/** A single "bytes=a-b" range (what players and browsers send); multi-range is answered whole. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | "invalid" | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return header.includes(",") ? null : "invalid";
  let start: number;
  let end: number;
  if (m[1] === "") {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start > end || start >= size) return "invalid";
  return { start, end };
}
