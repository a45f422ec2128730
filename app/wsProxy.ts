// /ws/<channel>: the player's WebRTC signaling WebSocket, on the site's own origin (no
// extra port for viewers, same TLS as the page), passed through to an edge: the one
// with the most room among those announced (lib/webrtc/edges.ts). Only the HTTP
// upgrade is relayed; media goes straight between browser and edge over UDP. With no
// edge running (or all full) the player gets a 503 and plays HLS.
import type http from "node:http";
import net from "node:net";
import type { Duplex } from "node:stream";
import { logger } from "../lib/log.ts";
import { TRUSTED_HEADERS } from "../lib/origin.ts";
import { liveEdges, pickEdge, type EdgeAnnouncement } from "../lib/webrtc/edges.ts";

const log = logger("web");
const MAX_URL = 512;

// Connections handed to each edge since the announcement we last saw from it.
const sentSince = new Map<string, { at: number; sent: number }>();

function recentlySent(e: EdgeAnnouncement): number {
  const s = sentSince.get(e.id);
  return s && s.at === e.at ? s.sent : 0;
}

async function chooseEdge(): Promise<EdgeAnnouncement | null> {
  const edges = await liveEdges().catch((e) => {
    log.warn("could not read the edge registry", { error: (e as Error).message });
    return [];
  });
  const edge = pickEdge(edges, recentlySent);
  if (edge) sentSince.set(edge.id, { at: edge.at, sent: recentlySent(edge) + 1 });
  for (const id of sentSince.keys()) if (!edges.some((e) => e.id === id)) sentSince.delete(id);
  return edge;
}

export function isSignalingUpgrade(req: http.IncomingMessage): boolean {
  return Boolean(req.url?.startsWith("/ws/")) && (req.headers.upgrade ?? "").toLowerCase() === "websocket";
}

/** Relays the upgrade request (with the client's address, as app/server.ts stamped it) to an edge. */
export async function proxySignaling(req: http.IncomingMessage, client: Duplex, head: Buffer): Promise<void> {
  const refuse = (status: string) => {
    client.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  };
  if (!req.url || req.url.length > MAX_URL) return refuse("414 URI Too Long");
  client.on("error", () => {});
  const chosen = await chooseEdge();
  if (client.destroyed) return;
  if (!chosen) return refuse("503 Service Unavailable");
  const edge = new URL(chosen.signalingUrl);
  const upstream = net.connect(Number(edge.port || 80), edge.hostname);
  const lines = [`GET ${req.url} HTTP/1.1`];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i];
    if (name.toLowerCase().startsWith("x-livehouse-")) continue;
    lines.push(`${name}: ${req.rawHeaders[i + 1]}`);
  }
  lines.push(`${TRUSTED_HEADERS.clientIp}: ${req.headers[TRUSTED_HEADERS.clientIp] ?? req.socket.remoteAddress ?? "unknown"}`);
  let connected = false;
  upstream.once("connect", () => {
    connected = true;
    upstream.write(lines.join("\r\n") + "\r\n\r\n");
    if (head.length) upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  upstream.once("error", () => (connected ? client.destroy() : refuse("502 Bad Gateway")));
  client.once("error", () => upstream.destroy());
  client.once("close", () => upstream.destroy());
  upstream.once("close", () => client.destroy());
}
