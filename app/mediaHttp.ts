// Serves /hls/* (live and replay playlists and segments) and /vendor/* (the
// player scripts) straight from the HTTP server, before Next.js: these are hot
// paths, and they need exact content types and caching.
import type http from "node:http";
import { createReadStream } from "node:fs";
import { createRequire } from "node:module";
import { mediaStore } from "../lib/media/store.ts";

const require = createRequire(import.meta.url);

// The only shapes of path that exist. Anything else, including every "..",
// encoded or not, is a 404 before the file system is touched.
const HLS_PATH = /^\/hls\/(live\/[0-9a-f-]{36}(?:\/(?:master\.m3u8|[a-z0-9]+\/(?:index\.m3u8|p\d+e\d+-\d{6}\.ts))))$/;

const TYPES: Record<string, string> = {
  m3u8: "application/vnd.apple.mpegurl",
  ts: "video/mp2t",
  js: "text/javascript; charset=utf-8",
};

const VENDOR: Record<string, string> = {
  "/vendor/ovenplayer.js": require.resolve("ovenplayer/dist/ovenplayer.js"),
  "/vendor/hls.min.js": require.resolve("hls.js/dist/hls.min.js"),
};

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
    const store = mediaStore();
    const size = await store.size(key);
    if (size === null) return notFound(res);
    res.writeHead(200, {
      ...cors,
      "Content-Type": TYPES[ext],
      "Content-Length": String(size),
      // Playlists change every segment; segments never change once listed.
      "Cache-Control": ext === "m3u8" ? "no-cache, no-store, must-revalidate" : "public, max-age=31536000, immutable",
      "X-Content-Type-Options": "nosniff",
    });
    if (req.method === "HEAD") return res.end();
    store.openRead(key).on("error", () => res.destroy()).pipe(res);
  })().catch(() => {
    if (!res.headersSent) notFound(res);
    else res.destroy();
  });
  return true;
}
