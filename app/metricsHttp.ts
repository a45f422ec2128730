// GET /metrics: the platform's operational metrics in Prometheus' text format,
// one endpoint for every role (lib/metrics.ts: roles count into Redis; the gauges
// here are read from PostgreSQL, Redis and BullMQ). Off unless METRICS_TOKEN is
// set; the scraper sends it as a bearer token.
import { readStorageUsage, storageFull } from "../lib/media/storageHealth.ts";
import { timingSafeEqual } from "node:crypto";
import type http from "node:http";
import { config } from "../lib/config.ts";
import { db } from "../lib/db.ts";
import { readTranscodeHealth } from "../lib/live/transcodeHealth.ts";
import { logger } from "../lib/log.ts";
import { counterFamilies, renderMetrics, type MetricFamily } from "../lib/metrics.ts";
import { JOB_STATES, QUEUE, queue } from "../lib/queue.ts";
import { REDIS_KEY } from "../lib/redisKeys.ts";
import { redis } from "../lib/redis.ts";
import { VIEWER_TTL_MS } from "../lib/viewers.ts";

const log = logger("web");

function authorized(req: http.IncomingMessage, token: string): boolean {
  const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? "");
  if (!m) return false;
  const given = Buffer.from(m[1]);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function gauges(): Promise<MetricFamily[]> {
  const sessions = await db().liveSession.findMany({ where: { status: { not: "ended" } }, select: { id: true, status: true, channel: { select: { slug: true } } } });
  const now = Date.now();
  const viewers = await Promise.all(sessions.map((s) => redis().zcount(REDIS_KEY.viewers(s.id), now - VIEWER_TTL_MS, "+inf")));
  const health = await Promise.all(sessions.map((s) => readTranscodeHealth(s.id)));
  const queues = await Promise.all(Object.values(QUEUE).map(async (name) => ({ name, counts: await queue(name).getJobCounts(...JOB_STATES) })));
  const exports = await db().replay.groupBy({ by: ["exportStatus"], where: { exportStatus: { in: ["pending", "running"] } }, _count: true, _avg: { exportProgress: true } });
  const byStatus = (status: string) => sessions.filter((s) => s.status === status).length;
  const [usage, full] = await Promise.all([readStorageUsage(), storageFull()]);
  const mem = process.memoryUsage();
  return [
    { name: "livehouse_live_sessions", help: "Live sessions, by state (reconnecting: inside the grace window)", type: "gauge", samples: ["live", "reconnecting"].map((state) => ({ labels: { state }, value: byStatus(state) })) },
    { name: "livehouse_viewers", help: "Viewers of each live session (page heartbeats of the last 20 s)", type: "gauge", samples: sessions.map((s, i) => ({ labels: { channel: s.channel.slug }, value: viewers[i] })) },
    {
      name: "livehouse_transcode_speed",
      help: "Media seconds transcoded per wall-clock second, per live session (1 keeps up)",
      type: "gauge",
      samples: sessions.flatMap((s, i) => (health[i]?.speed != null ? [{ labels: { channel: s.channel.slug }, value: health[i]!.speed! }] : [])),
    },
    {
      name: "livehouse_transcode_lag_seconds",
      help: "How far behind the live edge each session's transcode is",
      type: "gauge",
      samples: sessions.flatMap((s, i) => (health[i]?.lagSeconds != null ? [{ labels: { channel: s.channel.slug }, value: health[i]!.lagSeconds! }] : [])),
    },
    { name: "livehouse_queue_jobs", help: "BullMQ jobs by queue and state", type: "gauge", samples: queues.flatMap((q) => JOB_STATES.map((state) => ({ labels: { queue: q.name, state }, value: q.counts[state] ?? 0 }))) },
    { name: "livehouse_exports", help: "MP4 exports waiting or running", type: "gauge", samples: ["pending", "running"].map((st) => ({ labels: { status: st }, value: exports.find((e) => e.exportStatus === st)?._count ?? 0 })) },
    { name: "livehouse_export_progress_ratio", help: "Average progress of the exports running (0–1)", type: "gauge", samples: [{ value: exports.find((e) => e.exportStatus === "running")?._avg.exportProgress ?? 0 }] },
    { name: "livehouse_media_bytes", help: "Bytes in the media store at the last storage sweep, by kind", type: "gauge", samples: usage ? [{ labels: { kind: "replays" }, value: usage.bytes - usage.liveBytes }, { labels: { kind: "live" }, value: usage.liveBytes }] : [] },
    { name: "livehouse_media_budget_bytes", help: "MEDIA_BUDGET_GB in bytes (0: no budget)", type: "gauge", samples: [{ value: config.mediaBudgetBytes }] },
    { name: "livehouse_media_storage_full", help: "1 while the media store refuses writers for want of room", type: "gauge", samples: [{ value: full ? 1 : 0 }] },
    { name: "livehouse_web_resident_memory_bytes", help: "Resident memory of the web process that answered", type: "gauge", samples: [{ value: mem.rss }] },
  ];
}

/** Answers GET /metrics; returns false for any other request. */
export function serveMetrics(req: http.IncomingMessage, res: http.ServerResponse): boolean {
  if ((req.url ?? "").split("?")[0] !== "/metrics") return false;
  const token = config.metricsToken;
  if (!token) {
    res.writeHead(404, { "Content-Type": "text/plain" }).end("Metrics are off: set METRICS_TOKEN to serve them.\n");
    return true;
  }
  if (req.method !== "GET") {
    res.writeHead(405, { Allow: "GET" }).end();
    return true;
  }
  if (!authorized(req, token)) {
    res.writeHead(401, { "Content-Type": "text/plain", "WWW-Authenticate": 'Bearer realm="metrics"' }).end("Send METRICS_TOKEN as a bearer token.\n");
    return true;
  }
  void (async () => {
    try {
      const families = [...(await gauges()), ...counterFamilies(await redis().hgetall(REDIS_KEY.metricCounters()))];
      res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8", "Cache-Control": "no-store" }).end(renderMetrics(families));
    } catch (err) {
      log.error("metrics failed", { error: String(err).slice(0, 300) });
      if (!res.headersSent) res.writeHead(503, { "Content-Type": "text/plain" }).end("Metrics are unavailable right now.\n");
    }
  })();
  return true;
}
