// The ingest role: RTMP on :1935 and RTMPS (publishers), and the internal spool
// port (workers). Wiring only: listeners.ts accepts connections (TLS, PROXY
// protocol), admission.ts decides who may talk RTMP and at what cost,
// publishers.ts verifies publishes and spools them, spoolServer.ts serves spools.
import path from "node:path";
import { Redis } from "ioredis";
import { config } from "../lib/config.ts";
import { INGEST_STATS_INTERVAL_MS, writeIngestStats } from "../lib/ingestStats.ts";
import { internalSecret } from "../lib/internalAuth.ts";
import { controlChannel } from "../lib/liveSessions.ts";
import { logger } from "../lib/log.ts";
import { onShutdown } from "../lib/shutdown.ts";
import { onPrePlay } from "./admission.ts";
import { startListeners } from "./listeners.ts";
import { Context } from "./nms.ts";
import { Publishers, statsOf } from "./publishers.ts";
import { startSpoolServer } from "./spoolServer.ts";
import { SpoolRegistry } from "./spoolRegistry.ts";

const log = logger("ingest");
const JANITOR_MS = 10_000;

async function main() {
  const spools = new SpoolRegistry(path.resolve(config.ingestSpoolDir));
  const publishers = new Publishers(spools);
  Context.eventEmitter.on("prePublish", publishers.onPrePublish);
  Context.eventEmitter.on("prePlay", onPrePlay);

  const control = new Redis(config.redisUrl);
  await control.subscribe(controlChannel());
  control.on("message", (_channel, message) => {
    try {
      const msg = JSON.parse(message) as { type: string; sessionId: string };
      if (msg.type === "disconnect") publishers.disconnectSession(msg.sessionId);
    } catch {}
  });

  const spoolServer = startSpoolServer({ port: config.ingestInternalPort, bind: config.ingestInternalBind, secret: await internalSecret(), spools });

  const listeners = startListeners();

  // The heartbeat: dashboard health, transcode lag, and proof to the sweep that the publisher is here.
  const heartbeat = setInterval(() => {
    for (const p of publishers.all()) if (p.part && p.spool && !p.closed) void writeIngestStats(statsOf(p, false)).catch(() => {});
  }, INGEST_STATS_INTERVAL_MS);
  let sweeping = false;
  const janitor = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    void spools.sweep((partId) => publishers.isPublishing(partId)).finally(() => (sweeping = false));
  }, JANITOR_MS);

  onShutdown("ingest", async () => {
    clearInterval(heartbeat);
    clearInterval(janitor);
    listeners.close();
    spoolServer.close();
    publishers.disconnectAll();
    // Time for the publishers' last bytes to reach their spools and the disconnects to be written.
    await new Promise((r) => setTimeout(r, 1500));
  });
}

main().catch((err) => {
  log.error("ingest failed to start", { error: String(err) });
  process.exit(1);
});
