// /ws/<channel>: the player's WebRTC signaling WebSocket, on the site's own origin (no
// extra port for viewers, same TLS as the page), passed through to the edge role.
// Only the HTTP upgrade is relayed; media goes straight between browser and edge over UDP.
import type http from "node:http";
import net from "node:net";
import type { Duplex } from "node:stream";
import { config } from "../lib/config.ts";
import { TRUSTED_HEADERS } from "../lib/origin.ts";

const MAX_URL = 512;

export function isSignalingUpgrade(req: http.IncomingMessage): boolean {
  return Boolean(req.url?.startsWith("/ws/")) && (req.headers.upgrade ?? "").toLowerCase() === "websocket";
}

/** Relays the upgrade request (with the client's address, as app/server.ts stamped it) to the edge. */
export function proxySignaling(req: http.IncomingMessage, client: Duplex, head: Buffer): void {
  const refuse = (status: string) => {
    client.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  };
  if (!req.url || req.url.length > MAX_URL) return refuse("414 URI Too Long");
  const edge = new URL(config.edgeInternalUrl);
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
