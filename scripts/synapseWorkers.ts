// Synapse's own workers for Matrix clients at scale, the documented way
// (Synapse docs/workers.md): the main process gets Redis, a `replication` HTTP
// listener and `instance_map.main`; each sync worker is a `generic_worker` with
// a client listener of its own; an HTTP proxy in front sends /sync, /events and
// /initialSync to the sync workers (sticky per user) and everything else to main.
// Pure functions only: scripts/synapseConfig.ts (managed Synapse),
// scripts/synapse-compose-setup.ts (docker compose) and scripts/synapseRouter.ts use them.
import { createHash } from "node:crypto";

/** The client API paths a sync worker serves (docs/workers.md, "synchrotron" endpoints). */
export const SYNC_WORKER_PATHS: readonly RegExp[] = [
  /^\/_matrix\/client\/(r0|v3)\/sync$/,
  /^\/_matrix\/client\/(api\/v1|r0|v3)\/events$/,
  /^\/_matrix\/client\/(api\/v1|r0|v3)\/initialSync$/,
  /^\/_matrix\/client\/(api\/v1|r0|v3)\/rooms\/[^/]+\/initialSync$/,
];

/** `pathname` without the query string. */
export function isSyncWorkerPath(pathname: string): boolean {
  return SYNC_WORKER_PATHS.some((re) => re.test(pathname));
}

/**
 * What keeps a client on one sync worker: the user when the token says who it
 * is (Synapse's `syt_<base64 localpart>_…` tokens, as the nginx example in
 * docs/workers.md does), else the token itself, from the Authorization header
 * or the `access_token` query parameter. Empty for anonymous requests.
 */
export function stickyKey(authorization: string | undefined, search: string): string {
  let token = /^Bearer\s+(\S+)/i.exec(authorization ?? "")?.[1];
  if (!token) token = new URLSearchParams(search).get("access_token") ?? "";
  return /^syt_([^_]+)_/.exec(token)?.[1] ?? token;
}

/** Which of `count` sync workers serves `key`: stable for a key, spread evenly over keys. */
export function pickWorker(key: string, count: number): number {
  if (count <= 1) return 0;
  return createHash("sha1").update(key).digest().readUInt32BE(0) % count;
}

/** SYNAPSE_SYNC_WORKERS: sync workers next to the main process; 0 (default) runs Synapse as one process. */
export function syncWorkerCount(env: Record<string, string | undefined> = process.env): number {
  const raw = env.SYNAPSE_SYNC_WORKERS ?? "";
  if (raw === "") return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 16) throw new Error(`SYNAPSE_SYNC_WORKERS must be a whole number from 0 to 16, got "${raw}"`);
  return n;
}

export interface RedisConfig {
  enabled: true;
  host: string;
  port: number;
  dbid?: number;
  password?: string;
  use_tls?: boolean;
}

/**
 * Synapse's `redis` section from a redis:// URL (REDIS_URL). Synapse has no key
 * prefix: it uses pub/sub channels named after its server_name (so several
 * homeservers can share one Redis) and a few `cache_v1:` keys.
 */
export function redisConfig(url: string): RedisConfig {
  const u = new URL(url);
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") throw new Error(`not a redis:// URL: ${url}`);
  const db = u.pathname.replace(/^\//, "");
  return {
    enabled: true,
    host: u.hostname || "127.0.0.1",
    port: Number(u.port || 6379),
    ...(db ? { dbid: Number(db) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === "rediss:" ? { use_tls: true } : {}),
  };
}

export interface MainProcessWorkerOptions {
  /** Where workers reach the main process's replication listener. */
  replicationHost: string;
  replicationPort: number;
  /** What that listener binds to (default [replicationHost]). */
  replicationBind?: string[];
  redis: RedisConfig;
  /** Shared secret of the replication HTTP API (main and workers read the same value). */
  replicationSecret: string;
}

/**
 * What the main process's homeserver.yaml gains for workers: a `replication`
 * listener (to append to `listeners`) and the top-level settings every process
 * reads (Synapse merges config files shallowly, so workers read them from
 * homeserver.yaml too).
 */
export function mainProcessWorkerConfig(o: MainProcessWorkerOptions): { listener: Record<string, unknown>; shared: Record<string, unknown> } {
  return {
    listener: {
      port: o.replicationPort,
      bind_addresses: o.replicationBind ?? [o.replicationHost],
      type: "http",
      tls: false,
      x_forwarded: false,
      resources: [{ names: ["replication"], compress: false }],
    },
    shared: {
      redis: o.redis,
      instance_map: { main: { host: o.replicationHost, port: o.replicationPort } },
      worker_replication_secret: o.replicationSecret,
    },
  };
}

export interface SyncWorkerOptions {
  /** worker_name, unique per homeserver, e.g. "sync-1". */
  name: string;
  /** Its client API listener. */
  port: number;
  bindAddresses: string[];
  /** Trust X-Forwarded-For from the proxy in front (it must set it). */
  xForwarded: boolean;
  /** Prometheus metrics on this port too (needs enable_metrics in homeserver.yaml). */
  metricsPort?: number;
  /** Path (as the worker sees it) of a logging config. */
  logConfig?: string;
}

/** The worker's own config file, read after homeserver.yaml (`--config-path homeserver.yaml --config-path worker.yaml`). */
export function syncWorkerConfig(o: SyncWorkerOptions): Record<string, unknown> {
  return {
    worker_app: "synapse.app.generic_worker",
    worker_name: o.name,
    worker_listeners: [
      { type: "http", port: o.port, bind_addresses: o.bindAddresses, tls: false, x_forwarded: o.xForwarded, resources: [{ names: ["client"], compress: false }] },
      ...(o.metricsPort ? [{ type: "metrics", port: o.metricsPort, bind_addresses: o.bindAddresses }] : []),
    ],
    ...(o.logConfig ? { worker_log_config: o.logConfig } : {}),
  };
}

export const syncWorkerName = (i: number) => `sync-${i + 1}`;
