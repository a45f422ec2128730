// A small HTTP reverse proxy in front of Synapse's processes: /sync, /events and
// /initialSync (scripts/synapseWorkers.ts SYNC_WORKER_PATHS) go to the sync
// workers, sticky per user, everything else to the main process. Bodies stream
// through in both directions; nothing is buffered. The managed Synapse runs it
// in-process (scripts/synapse.ts); docker compose runs this file on its own
// (env below). nginx or Caddy can do the same job: see README, "Synapse workers".
import http from "node:http";
import path from "node:path";
import { isSyncWorkerPath, pickWorker, stickyKey } from "./synapseWorkers.ts";

export interface Upstream {
  name: string;
  url: string;
}

export interface SynapseRouterOptions {
  host: string;
  port: number;
  main: Upstream;
  syncWorkers: Upstream[];
  /**
   * Pass on the client's X-Forwarded-For/-Proto (behind a TLS proxy of yours that
   * sets them). false: the router sets them from its own connection, so Synapse
   * sees the same client address as without the router.
   */
  trustForwarded?: boolean;
}

export interface SynapseRouter {
  url: string;
  /** Requests sent to each upstream, by name, since the start. */
  routed: Record<string, number>;
  close(): Promise<void>;
}

// RFC 9110 §7.6.1: meaningful for one connection only, never forwarded.
const HOP_BY_HOP = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "proxy-authorization", "proxy-authenticate"];

function withoutHopByHop(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = { ...headers };
  const listed = String(headers.connection ?? "").split(",").map((h) => h.trim().toLowerCase()).filter(Boolean);
  for (const h of [...HOP_BY_HOP, ...listed]) delete out[h];
  return out;
}

export async function startSynapseRouter(opts: SynapseRouterOptions): Promise<SynapseRouter> {
  const routed: Record<string, number> = { [opts.main.name]: 0 };
  for (const w of opts.syncWorkers) routed[w.name] = 0;
  // Long-polling /sync holds a connection per client: no socket cap.
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 256 });

  const forward = (req: http.IncomingMessage, res: http.ServerResponse, upstream: Upstream, fallback: Upstream | null) => {
    routed[upstream.name]++;
    const target = new URL(upstream.url);
    const headers = withoutHopByHop(req.headers);
    const peer = req.socket.remoteAddress ?? "";
    // Synapse takes the first address of X-Forwarded-For.
    if (opts.trustForwarded) headers["x-forwarded-for"] = req.headers["x-forwarded-for"] ? `${req.headers["x-forwarded-for"]}, ${peer}` : peer;
    else {
      headers["x-forwarded-for"] = peer;
      headers["x-forwarded-proto"] = "http";
    }
    const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent }, (ures) => {
      res.writeHead(ures.statusCode ?? 502, ures.statusMessage, withoutHopByHop(ures.headers));
      ures.pipe(res);
      ures.on("error", () => res.destroy());
    });
    up.on("error", (err: NodeJS.ErrnoException) => {
      if (res.headersSent || res.destroyed) return void res.destroy();
      // A sync worker that is down (restarting, not started yet): its GETs have no
      // body to replay, and the main process can answer them too, only slower.
      if (fallback && req.method === "GET" && err.code === "ECONNREFUSED") return forward(req, res, fallback, null);
      res.writeHead(502, { "content-type": "application/json" });
      res.end(JSON.stringify({ errcode: "M_UNKNOWN", error: `Synapse ${upstream.name} unreachable: ${err.code ?? err.message}` }));
    });
    // The client went away (a long poll given up): give up upstream too.
    res.on("close", () => {
      if (!res.writableFinished) up.destroy();
    });
    req.pipe(up);
  };

  const server = http.createServer((req, res) => {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const pathname = q < 0 ? url : url.slice(0, q);
    if (opts.syncWorkers.length && isSyncWorkerPath(pathname)) {
      const worker = opts.syncWorkers[pickWorker(stickyKey(req.headers.authorization, q < 0 ? "" : url.slice(q)), opts.syncWorkers.length)];
      forward(req, res, worker, opts.main);
    } else forward(req, res, opts.main, null);
  });
  // Synapse holds a /sync for up to its `timeout` (30 s from most clients) and
  // answers; Node's default 5 s keep-alive and 300 s request timeouts suit that.
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    url: `http://${opts.host.includes(":") ? `[${opts.host}]` : opts.host}:${opts.port}`,
    routed,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}

// docker compose: `node dist/synapse-router.mjs` (this file compiled as its own entry).
if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  const env = process.env;
  const syncUrls = (env.SYNAPSE_ROUTER_SYNC_URLS ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  const router = await startSynapseRouter({
    host: env.SYNAPSE_ROUTER_BIND || "0.0.0.0",
    port: Number(env.SYNAPSE_ROUTER_PORT || 8008),
    main: { name: "main", url: env.SYNAPSE_ROUTER_MAIN_URL || "http://synapse:8008" },
    syncWorkers: syncUrls.map((url, i) => ({ name: `sync-${i + 1}`, url })),
    trustForwarded: ["1", "true", "yes"].includes((env.SYNAPSE_ROUTER_TRUST_FORWARDED ?? "").toLowerCase()),
  });
  console.log(`synapse router on ${router.url}: sync → ${syncUrls.join(", ") || "(none)"}, the rest → ${env.SYNAPSE_ROUTER_MAIN_URL || "http://synapse:8008"}`);
  const stop = () => void router.close().finally(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
