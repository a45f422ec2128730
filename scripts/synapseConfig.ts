// The managed Synapse's configuration files (homeserver.yaml, log.yaml and one
// file per sync worker) as plain objects, from options, ports, secrets and the
// instance directory as Synapse sees it. Pure: no files, no ports, no
// environment of its own, so every option can be unit-tested
// (test/unit/synapseConfig.test.ts); scripts/synapse.ts writes what this returns.
import { crowdRateLimits, openRateLimits } from "./synapseRateLimits.ts";
import { mainProcessWorkerConfig, syncWorkerConfig, type RedisConfig } from "./synapseWorkers.ts";

/** Kept in the instance directory (secrets.json) so they survive restarts. */
export interface SynapseSecrets {
  registration_shared_secret: string;
  macaroon_secret_key: string;
  form_secret: string;
}

/** "test": rate limits out of the way; "default": set for a live-chat crowd (scripts/synapseRateLimits.ts). */
export type SynapseProfile = "test" | "default";

export interface SyncWorkerPorts {
  name: string;
  /** Its client listener. */
  port: number;
  metricsPort?: number;
}

export interface SynapseConfigInput {
  serverName: string;
  /** What clients use (the router's address with workers); public_baseurl. */
  clientUrl: string;
  /** The instance directory as Synapse sees it inside the root, e.g. /srv/livehouse/hs1. */
  dir: string;
  secrets: SynapseSecrets;
  /** The main process's own client (and admin API) listener, on 127.0.0.1. */
  clientPort: number;
  /** TLS federation + key listener. */
  federationPort: number;
  federationBindAddresses: string[];
  /** Prometheus metrics on 127.0.0.1 (and on each worker's metricsPort). */
  metricsPort?: number;
  /** Appservice registration files, as Synapse sees them. */
  appserviceFiles?: string[];
  profile?: SynapseProfile;
  /** Open registration without email verification (default false). */
  enableRegistration?: boolean;
  /** PostgreSQL for Synapse's database; without it SQLite in the instance directory. */
  postgresUrl?: string;
  /** Notification counts and push (default false). */
  push?: boolean;
  /** User id globs allowed to publish rooms to the room directory. */
  roomDirectoryPublishers?: string[];
  /** Sync workers and what they need on the main process (Redis, replication). */
  workers?: {
    replicationPort: number;
    redis: RedisConfig;
    replicationSecret: string;
    sync: SyncWorkerPorts[];
  };
  /** Where SYNAPSE_RC_* overrides of the "default" profile's rate limits come from. */
  env?: Record<string, string | undefined>;
}

export interface SynapseConfigFiles {
  /** homeserver.yaml, read by the main process and every worker. */
  homeserver: Record<string, unknown>;
  /** log.yaml (homeserver.yaml's log_config, each worker's worker_log_config). */
  log: Record<string, unknown>;
  /** workers/<name>.yaml, one per sync worker. */
  workers: { name: string; config: Record<string, unknown> }[];
}

/** Synapse's caches.global_factor from SYNAPSE_CACHE_FACTOR; unset: Synapse's own default (0.5). */
export function cacheConfig(env: Record<string, string | undefined>): { caches?: { global_factor: number } } {
  const raw = env.SYNAPSE_CACHE_FACTOR;
  if (raw === undefined || raw === "") return {};
  const f = Number(raw);
  if (!Number.isFinite(f) || f <= 0 || f > 20) throw new Error(`SYNAPSE_CACHE_FACTOR must be a number above 0 (at most 20), got "${raw}"`);
  return { caches: { global_factor: f } };
}

/** The instance directory's layout inside the root, as the config files name it. */
export const synapsePaths = (dir: string) => ({
  homeserver: `${dir}/homeserver.yaml`,
  log: `${dir}/log.yaml`,
  worker: (name: string) => `${dir}/workers/${name}.yaml`,
});

export function synapseConfig(o: SynapseConfigInput): SynapseConfigFiles {
  const paths = synapsePaths(o.dir);
  const workers = o.workers && o.workers.sync.length > 0 ? o.workers : null;
  const replication = workers
    ? mainProcessWorkerConfig({
        replicationHost: "127.0.0.1",
        replicationPort: workers.replicationPort,
        redis: workers.redis,
        replicationSecret: workers.replicationSecret,
      })
    : null;
  const homeserver = {
    server_name: o.serverName,
    public_baseurl: `${o.clientUrl}/`,
    listeners: [
      {
        port: o.clientPort,
        bind_addresses: ["127.0.0.1"],
        type: "http",
        tls: false,
        // Behind the router, which sets X-Forwarded-For to its own client's
        // address: Synapse sees the same addresses as without it.
        x_forwarded: workers !== null,
        // "client" also serves the admin API and the media repository.
        resources: [{ names: ["client"], compress: false }],
      },
      {
        port: o.federationPort,
        bind_addresses: o.federationBindAddresses,
        type: "http",
        tls: true,
        // Other servers need /_matrix/federation and /_matrix/key. "federation"
        // serves both in 1.160 (plus federation media and openid); "keys" is named
        // as well so the key endpoint does not depend on that bundling.
        resources: [{ names: ["federation", "keys"], compress: false }],
      },
      ...(o.metricsPort ? [{ port: o.metricsPort, bind_addresses: ["127.0.0.1"], type: "metrics" }] : []),
      ...(replication ? [replication.listener] : []),
    ],
    ...replication?.shared,
    enable_metrics: Boolean(o.metricsPort),
    tls_certificate_path: `${o.dir}/tls/federation.crt`,
    tls_private_key_path: `${o.dir}/tls/federation.key`,
    database: o.postgresUrl ? postgresDatabase(o.postgresUrl) : { name: "sqlite3", args: { database: `${o.dir}/homeserver.db` } },
    media_store_path: `${o.dir}/media`,
    max_upload_size: "10M",
    // Synapse creates the key on its first start (its default generate-missing-and-run mode).
    signing_key_path: `${o.dir}/signing.key`,
    ...o.secrets,
    report_stats: false,
    enable_registration: o.enableRegistration ?? false,
    // Synapse refuses open registration without a verification step unless told.
    enable_registration_without_verification: o.enableRegistration ?? false,
    allow_guest_access: true,
    url_preview_enabled: false,
    presence: { enabled: false },
    // Notification counts and push for every member of every message are the main
    // per-message cost in a room full of guests (see bench:chat); a stream chat
    // server can do without them. Off unless asked for.
    push: { enabled: o.push ?? false },
    // Synapse's in-memory caches, scaled when SYNAPSE_CACHE_FACTOR says so (bench:chat saw no
    // gain from 2× for one busy room; an instance with many rooms may differ).
    ...cacheConfig(o.env ?? {}),
    trusted_key_servers: [],
    suppress_key_server_warning: true,
    federation_verify_certificates: false,
    // Outbound requests (federation, identity servers, push) are refused for
    // addresses in ip_range_blacklist, whose default covers 127.0.0.0/8 and ::1;
    // an ip_range_whitelist entry wins over it. If any address a name resolves to
    // is blocked, Synapse drops them all, so "localhost" (::1 and 127.0.0.1) needs
    // both allowed. Federation uses this pair unless the legacy
    // federation_ip_range_blacklist is set, so that must stay unset.
    ip_range_whitelist: ["127.0.0.0/8", "::1/128"],
    app_service_config_files: o.appserviceFiles ?? [],
    // Only the listed users (our appservice's bot) may list rooms in the public
    // directory; Synapse's default refuses everyone who is not a server admin.
    room_list_publication_rules: [...(o.roomDirectoryPublishers ?? []).map((user_id) => ({ user_id, action: "allow" })), { action: "deny" }],
    // "default": figures chosen for a live-chat crowd (SYNAPSE_RC_* override
    // them); "test": every limiter out of the way.
    ...((o.profile ?? "default") === "default" ? crowdRateLimits(o.env ?? {}) : openRateLimits()),
    log_config: paths.log,
  };
  return {
    homeserver,
    log: structuredClone(LOG_CONFIG),
    workers: (workers?.sync ?? []).map((w) => ({
      name: w.name,
      config: syncWorkerConfig({ name: w.name, port: w.port, bindAddresses: ["127.0.0.1"], xForwarded: true, metricsPort: w.metricsPort, logConfig: paths.log }),
    })),
  };
}

/** A config file's text: JSON is valid YAML, so no YAML writer is needed. */
export const configText = (config: Record<string, unknown>) => JSON.stringify(config, null, 2) + "\n";

function postgresDatabase(url: string) {
  const u = new URL(url);
  return {
    name: "psycopg2",
    args: {
      user: decodeURIComponent(u.username || "postgres"),
      ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
      dbname: u.pathname.slice(1),
      host: u.hostname,
      port: Number(u.port || 5432),
      cp_min: 5,
      cp_max: 10,
    },
  };
}

// Synapse's INFO log, but without the access log: one line per request costs
// real CPU under chat load (50 long-polling clients answer ~1000 syncs a second).
const LOG_CONFIG = {
  version: 1,
  formatters: { precise: { format: "%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(request)s - %(message)s" } },
  filters: { context: { "()": "synapse.logging.context.LoggingContextFilter", request: "" } },
  handlers: { console: { class: "logging.StreamHandler", formatter: "precise", filters: ["context"] } },
  loggers: { "synapse.access": { level: "WARNING" }, "synapse.storage.SQL": { level: "WARNING" } },
  root: { level: "INFO", handlers: ["console"] },
  disable_existing_loggers: false,
};
