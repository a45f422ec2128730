// docker compose's `matrix-setup`, second step (after scripts/matrix-setup.ts has
// written /data/homeserver.yaml): the rate limits for a live-chat crowd and, with
// SYNAPSE_SYNC_WORKERS=N, what Synapse's workers need — Redis, a replication
// listener and instance_map.main in homeserver.yaml, and /data/workers/sync-<i>.yaml
// for the `synapse-sync-<i>` services of the `sync-workers` profile.
import { randomBytes } from "node:crypto";
import { chownSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { crowdRateLimits } from "./synapseRateLimits.ts";
import { mainProcessWorkerConfig, redisConfig, syncWorkerConfig, syncWorkerCount, syncWorkerName } from "./synapseWorkers.ts";

const dataDir = process.env.SYNAPSE_DATA_DIR || "/data";
const REPLICATION_PORT = 9093;
const homeserverFile = path.join(dataDir, "homeserver.yaml");
// matrix-setup.ts writes JSON (valid YAML).
const homeserver = JSON.parse(readFileSync(homeserverFile, "utf8")) as Record<string, unknown> & { listeners: Record<string, unknown>[] };
const workers = syncWorkerCount();
const asRoot = process.getuid?.() === 0;
// The Synapse image runs as uid 991 (see matrix-setup.ts).
const own = (p: string) => asRoot && chownSync(p, 991, 991);

Object.assign(homeserver, crowdRateLimits());

const workerDir = path.join(dataDir, "workers");
if (existsSync(workerDir)) for (const f of readdirSync(workerDir)) rmSync(path.join(workerDir, f));
if (workers > 0) {
  // Kept across runs: a worker restarted alone must still match the running main process.
  const secretFile = path.join(dataDir, "worker-replication-secret");
  if (!existsSync(secretFile)) writeFileSync(secretFile, randomBytes(32).toString("base64url"), { mode: 0o600 });
  own(secretFile);
  const { listener, shared } = mainProcessWorkerConfig({
    // The compose service name; the port is reachable on the compose network only (not published).
    replicationHost: "synapse",
    replicationPort: REPLICATION_PORT,
    replicationBind: ["0.0.0.0"],
    redis: redisConfig(process.env.REDIS_URL || "redis://redis:6379"),
    replicationSecret: readFileSync(secretFile, "utf8").trim(),
  });
  homeserver.listeners = [...homeserver.listeners.filter((l) => l.port !== REPLICATION_PORT), listener];
  Object.assign(homeserver, shared);
  mkdirSync(workerDir, { recursive: true });
  own(workerDir);
  for (let i = 0; i < workers; i++) {
    const name = syncWorkerName(i);
    const file = path.join(workerDir, `${name}.yaml`);
    // Its client listener, behind the synapse-router service (or your proxy), which sets X-Forwarded-For.
    writeFileSync(file, JSON.stringify(syncWorkerConfig({ name, port: 8008, bindAddresses: ["0.0.0.0"], xForwarded: true }), null, 2) + "\n");
    own(file);
  }
}
// An existing file keeps its owner.
writeFileSync(homeserverFile, JSON.stringify(homeserver, null, 2) + "\n");
console.log(`homeserver.yaml: crowd rate limits${workers ? `, ${workers} sync worker${workers > 1 ? "s" : ""} (Redis, replication on synapse:${REPLICATION_PORT})` : ", no workers"}`);
process.exit(0);
