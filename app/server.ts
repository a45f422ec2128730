// The web role's entry point: Next.js behind a plain Node HTTP server, so the
// client address and scheme come from the socket (or, only with TRUST_PROXY, from
// the proxy's headers) and cannot be forged by a client.
import http from "node:http";
import path from "node:path";
import next from "next";
import { config } from "../lib/config.ts";
import { mailProblem } from "../lib/mail.ts";
import { isSignalingUpgrade, proxySignaling } from "./wsProxy.ts";
import { logger } from "../lib/log.ts";
import { onShutdown } from "../lib/shutdown.ts";
import { TRUSTED_HEADERS } from "../lib/origin.ts";
import { serveChatFeed } from "./chatFeedHttp.ts";
import { serveMetrics } from "./metricsHttp.ts";
import { serveMedia } from "./mediaHttp.ts";

const log = logger("web");
const dev = process.env.NODE_ENV === "development";

function firstHeader(v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  return s?.split(",")[0]?.trim() || undefined;
}

export function stampTrustedHeaders(req: http.IncomingMessage): void {
  for (const name of Object.keys(req.headers)) if (name.startsWith("x-livehouse-")) delete req.headers[name];
  const socketIp = req.socket.remoteAddress ?? "unknown";
  const viaProxy = config.trustProxy;
  req.headers[TRUSTED_HEADERS.clientIp] = (viaProxy && firstHeader(req.headers["x-forwarded-for"])) || socketIp;
  req.headers[TRUSTED_HEADERS.proto] = (viaProxy && firstHeader(req.headers["x-forwarded-proto"])) || "http";
  const host = (viaProxy && firstHeader(req.headers["x-forwarded-host"])) || req.headers.host;
  if (host) req.headers[TRUSTED_HEADERS.host] = host;
}

async function main() {
  const app = next({ dev, dir: path.resolve(import.meta.dirname, ".."), hostname: config.webHost, port: config.webPort });
  const handle = app.getRequestHandler();
  await app.prepare();
  const upgrade = dev ? app.getUpgradeHandler() : null;
  const server = http.createServer((req, res) => {
    if (serveMedia(req, res)) return;
    if (serveChatFeed(req, res)) return;
    if (serveMetrics(req, res)) return;
    stampTrustedHeaders(req);
    handle(req, res).catch((err) => {
      log.error("request failed", { path: req.url?.split("?")[0], error: String(err) });
      if (!res.headersSent) res.writeHead(500).end("Internal error");
    });
  });
  server.on("upgrade", (req, socket, head) => {
    // Next's own upgrades (hot reload) exist in development only.
    if (!isSignalingUpgrade(req)) return upgrade ? void upgrade(req, socket, head) : socket.destroy();
    stampTrustedHeaders(req);
    void proxySignaling(req, socket, head);
  });
  server.listen(config.webPort, config.webHost, () => {
    log.info("listening", { url: `http://${config.webHost}:${config.webPort}` });
    if (!config.publicUrl && process.env.NODE_ENV === "production" && config.webHost !== "127.0.0.1" && config.webHost !== "localhost") {
      // Without it, the origin that mutations must come from is whatever Host a request names.
      log.warn("PUBLIC_URL is not set: the site's origin is taken from each request's Host header. Set PUBLIC_URL (e.g. https://live.example.org) in production.");
    }
    const mail = mailProblem();
    if (mail) log.warn(mail);
    else log.info(config.smtpUrl ? "password resets and email changes are confirmed by email" : "SMTP_URL is not set: the admin makes password reset links (admin page)");
  });
  // Open chat feeds (SSE) would hold server.close() forever: they are ended after a moment.
  onShutdown("web", () => new Promise<void>((done) => {
    server.close(() => done());
    setTimeout(() => server.closeAllConnections(), 2000).unref();
  }));
}

main().catch((err) => {
  log.error("web failed to start", { error: String(err) });
  process.exit(1);
});
