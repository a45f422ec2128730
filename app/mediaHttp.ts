// Serves /hls/* (live and replay playlists and segments) and /vendor/* (the
// player scripts) straight from the HTTP server, before Next.js: these are hot
// paths, and they need exact content types and caching.
import type http from "node:http";
import { createReadStream } from "node:fs";
import { createRequire } from "node:module";
import { db } from "../lib/db.ts";
import { mediaStore } from "../lib/media/store.ts";

const require = createRequire(import.meta.url);

// The only shapes of path that exist. Anything else, including every "..",
// encoded or not, is a 404 before the file system is touched.
const HLS_PATH =
  /^\/hls\/(live\/[0-9a-f-]{36}\/(?:(?:master|vod)\.m3u8|replay\.mp4|poster\.jpg|thumbs\/\d{4}\.jpg|[a-z0-9]+\/(?:(?:index|vod)\.m3u8|p\d+e\d+-\d{6}\.ts|s[0-9a-z]+-\d{6}\.ts)))$/;

const TYPES: Record<string, string> = {
  m3u8: "application/vnd.apple.mpegurl",
  ts: "video/mp2t",
  mp4: "video/mp4",
  jpg: "image/jpeg",
  js: "text/javascript; charset=utf-8",
};

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
    res.writeHead(200, { "Content-Type": TYPES.js, "Cache-Control": "public, max-age=86400" });
    if (req.method === "HEAD") res.end();
    else createReadStream(file).pipe(res);
    return true;
  }
  const cors = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "Range",
    "Access-Control-Expose-Headers": "Content-Length, Content-Range",
  };
  if (req.method === "OPTIONS") {
    res.writeHead(204, { ...cors, "Access-Control-Max-Age": "86400" }).end();
    return true;
  }
  const m = HLS_PATH.exec(path);
  if (!m) return notFound(res), true;
  const key = m[1];
  const ext = key.slice(key.lastIndexOf(".") + 1);
  void (async () => {
    if (!(await sessionExists(key.split("/")[1]))) return notFound(res);
    const store = mediaStore();
    const size = await store.size(key);
    if (size === null) return notFound(res);
    const headers: Record<string, string> = {
      ...cors,
      "Content-Type": TYPES[ext],
      // Playlists change every segment; everything else never changes once it exists.
      "Cache-Control": ext === "m3u8" ? "no-cache, no-store, must-revalidate" : "public, max-age=31536000, immutable",
      "X-Content-Type-Options": "nosniff",
      "Accept-Ranges": "bytes",
    };
    if (ext === "mp4") headers["Content-Disposition"] = 'inline; filename="replay.mp4"';
    const range = parseRange(req.headers.range, size);
    if (range === "invalid") {
      res.writeHead(416, { ...headers, "Content-Range": `bytes */${size}` }).end();
      return;
    }
    if (range) {
      res.writeHead(206, { ...headers, "Content-Length": String(range.end - range.start + 1), "Content-Range": `bytes ${range.start}-${range.end}/${size}` });
    } else {
      res.writeHead(200, { ...headers, "Content-Length": String(size) });
    }
    if (req.method === "HEAD") return res.end();
    store.openRead(key, range ?? undefined).on("error", () => res.destroy()).pipe(res);
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
