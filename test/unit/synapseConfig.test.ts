// The managed Synapse's config files (scripts/synapseConfig.ts) for each option
// the scripts and tests use: rate-limit profiles, PostgreSQL or SQLite,
// appservices, metrics, room directory publishers, push, and sync workers with
// replication. Pure: no Synapse runs here (test/chat/*.test.ts start real ones).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { configText, synapseConfig, synapsePaths, type SynapseConfigInput } from "../../scripts/synapseConfig.ts";
import { CROWD_RATE_DEFAULTS } from "../../scripts/synapseRateLimits.ts";
import { redisConfig } from "../../scripts/synapseWorkers.ts";

const secrets = { registration_shared_secret: "reg-secret", macaroon_secret_key: "mac-secret", form_secret: "form-secret" };
const base: SynapseConfigInput = {
  serverName: "localhost:8448",
  clientUrl: "http://127.0.0.1:8008",
  dir: "/srv/livehouse/hs1",
  secrets,
  clientPort: 8008,
  federationPort: 8448,
  federationBindAddresses: ["127.0.0.1", "::1"],
};
type Listener = { port: number; type: string; bind_addresses: string[]; tls?: boolean; x_forwarded?: boolean; resources?: { names: string[] }[] };
const listeners = (hs: Record<string, unknown>) => hs.listeners as Listener[];

describe("homeserver.yaml", () => {
  it("lays out one process: client listener on loopback, TLS federation + keys, files in the instance directory, secrets", () => {
    const { homeserver: hs, workers } = synapseConfig(base);
    assert.equal(hs.server_name, "localhost:8448");
    assert.equal(hs.public_baseurl, "http://127.0.0.1:8008/");
    assert.deepEqual(listeners(hs), [
      { port: 8008, bind_addresses: ["127.0.0.1"], type: "http", tls: false, x_forwarded: false, resources: [{ names: ["client"], compress: false }] },
      { port: 8448, bind_addresses: ["127.0.0.1", "::1"], type: "http", tls: true, resources: [{ names: ["federation", "keys"], compress: false }] },
    ]);
    assert.equal(hs.tls_certificate_path, "/srv/livehouse/hs1/tls/federation.crt");
    assert.equal(hs.tls_private_key_path, "/srv/livehouse/hs1/tls/federation.key");
    assert.equal(hs.signing_key_path, "/srv/livehouse/hs1/signing.key");
    assert.equal(hs.media_store_path, "/srv/livehouse/hs1/media");
    assert.equal(hs.log_config, "/srv/livehouse/hs1/log.yaml");
    assert.equal(hs.registration_shared_secret, "reg-secret");
    assert.equal(hs.macaroon_secret_key, "mac-secret");
    assert.equal(hs.form_secret, "form-secret");
    assert.equal(hs.enable_registration, false);
    assert.equal(hs.enable_registration_without_verification, false);
    assert.deepEqual(hs.app_service_config_files, []);
    assert.deepEqual(hs.ip_range_whitelist, ["127.0.0.0/8", "::1/128"]);
    assert.equal("federation_ip_range_blacklist" in hs, false, "would replace ip_range_whitelist for federation");
    for (const key of ["redis", "instance_map", "worker_replication_secret"]) assert.equal(key in hs, false, key);
    assert.deepEqual(workers, []);
  });

  it("uses SQLite in the instance directory without PostgreSQL, psycopg2 with it (credentials decoded, default port)", () => {
    assert.deepEqual(synapseConfig(base).homeserver.database, { name: "sqlite3", args: { database: "/srv/livehouse/hs1/homeserver.db" } });
    assert.deepEqual(synapseConfig({ ...base, postgresUrl: "postgresql://lh%40user:p%2Fss@db.internal:5433/synapse_x" }).homeserver.database, {
      name: "psycopg2",
      args: { user: "lh@user", password: "p/ss", dbname: "synapse_x", host: "db.internal", port: 5433, cp_min: 5, cp_max: 10 },
    });
    assert.deepEqual(synapseConfig({ ...base, postgresUrl: "postgresql://127.0.0.1/synapse" }).homeserver.database, {
      name: "psycopg2",
      args: { user: "postgres", dbname: "synapse", host: "127.0.0.1", port: 5432, cp_min: 5, cp_max: 10 },
    });
  });

  it("sets the crowd rate limits by default (SYNAPSE_RC_* from the given env), opens every limiter for tests", () => {
    const def = synapseConfig(base).homeserver;
    assert.deepEqual(def.rc_joins_per_room, CROWD_RATE_DEFAULTS.joinsPerRoom);
    assert.deepEqual(def.rc_registration, CROWD_RATE_DEFAULTS.registration);
    assert.equal("rc_message" in def, false, "Synapse's own message limit stays");
    const overridden = synapseConfig({ ...base, profile: "default", env: { SYNAPSE_RC_JOINS_PER_ROOM: "7/70" } }).homeserver;
    assert.deepEqual(overridden.rc_joins_per_room, { per_second: 7, burst_count: 70 });
    assert.throws(() => synapseConfig({ ...base, env: { SYNAPSE_RC_REGISTRATION: "lots" } }), /SYNAPSE_RC_REGISTRATION/);

    const test = synapseConfig({ ...base, profile: "test", env: { SYNAPSE_RC_JOINS_PER_ROOM: "7/70" } }).homeserver;
    for (const key of ["rc_message", "rc_registration", "rc_joins_per_room", "rc_login", "rc_federation"]) assert.ok(key in test, key);
    assert.ok((test.rc_joins_per_room as { per_second: number }).per_second >= 1000, "the env does not apply to the test profile");
  });

  it("registers the appservice files as given and lets only the listed users publish rooms", () => {
    const hs = synapseConfig({ ...base, appserviceFiles: ["/srv/livehouse/hs1/appservices/0-livehouse.yaml"], roomDirectoryPublishers: ["@_lh_bot:*", "@mod:*"] }).homeserver;
    assert.deepEqual(hs.app_service_config_files, ["/srv/livehouse/hs1/appservices/0-livehouse.yaml"]);
    assert.deepEqual(hs.room_list_publication_rules, [
      { user_id: "@_lh_bot:*", action: "allow" },
      { user_id: "@mod:*", action: "allow" },
      { action: "deny" },
    ]);
    assert.deepEqual(synapseConfig(base).homeserver.room_list_publication_rules, [{ action: "deny" }], "nobody by default");
  });

  it("adds a loopback metrics listener and enable_metrics only when asked", () => {
    assert.equal(synapseConfig(base).homeserver.enable_metrics, false);
    const hs = synapseConfig({ ...base, metricsPort: 9100 }).homeserver;
    assert.equal(hs.enable_metrics, true);
    assert.deepEqual(listeners(hs)[2], { port: 9100, bind_addresses: ["127.0.0.1"], type: "metrics" });
  });

  it("keeps push and open registration off unless asked", () => {
    assert.deepEqual(synapseConfig(base).homeserver.push, { enabled: false });
    assert.deepEqual(synapseConfig({ ...base, push: true }).homeserver.push, { enabled: true });
    const open = synapseConfig({ ...base, enableRegistration: true }).homeserver;
    assert.equal(open.enable_registration, true);
    assert.equal(open.enable_registration_without_verification, true);
    assert.equal(open.allow_guest_access, true);
  });
});

describe("sync workers", () => {
  const withWorkers: SynapseConfigInput = {
    ...base,
    clientPort: 41000,
    metricsPort: 9100,
    postgresUrl: "postgresql://127.0.0.1/synapse",
    workers: {
      replicationPort: 41001,
      redis: redisConfig("redis://127.0.0.1:6379/3"),
      replicationSecret: "repl-secret",
      sync: [
        { name: "sync-1", port: 41002, metricsPort: 41003 },
        { name: "sync-2", port: 41004 },
      ],
    },
  };

  it("gives main Redis, a loopback replication listener, instance_map.main and the shared secret; its client listener trusts the router", () => {
    const hs = synapseConfig(withWorkers).homeserver;
    const ls = listeners(hs);
    assert.equal(ls[0].port, 41000);
    assert.equal(ls[0].x_forwarded, true, "behind the router");
    assert.deepEqual(ls.at(-1), { port: 41001, bind_addresses: ["127.0.0.1"], type: "http", tls: false, x_forwarded: false, resources: [{ names: ["replication"], compress: false }] });
    assert.deepEqual(hs.redis, { enabled: true, host: "127.0.0.1", port: 6379, dbid: 3 });
    assert.deepEqual(hs.instance_map, { main: { host: "127.0.0.1", port: 41001 } });
    assert.equal(hs.worker_replication_secret, "repl-secret");
  });

  it("writes one generic_worker file per worker, on loopback behind the router, with the shared log config", () => {
    const { workers } = synapseConfig(withWorkers);
    assert.deepEqual(workers.map((w) => w.name), ["sync-1", "sync-2"]);
    assert.deepEqual(workers[0].config, {
      worker_app: "synapse.app.generic_worker",
      worker_name: "sync-1",
      worker_listeners: [
        { type: "http", port: 41002, bind_addresses: ["127.0.0.1"], tls: false, x_forwarded: true, resources: [{ names: ["client"], compress: false }] },
        { type: "metrics", port: 41003, bind_addresses: ["127.0.0.1"] },
      ],
      worker_log_config: "/srv/livehouse/hs1/log.yaml",
    });
    assert.equal((workers[1].config.worker_listeners as unknown[]).length, 1, "no metrics port, no metrics listener");
  });

  it("treats an empty worker list as one process", () => {
    const hs = synapseConfig({ ...withWorkers, workers: { ...withWorkers.workers!, sync: [] } }).homeserver;
    assert.equal("redis" in hs, false);
    assert.equal(listeners(hs)[0].x_forwarded, false);
    assert.equal(listeners(hs).some((l) => l.resources?.[0].names.includes("replication")), false);
  });
});

describe("the files", () => {
  it("names them inside the instance directory and writes JSON (valid YAML) that reads back the same", () => {
    const p = synapsePaths("/srv/livehouse/hs1");
    assert.equal(p.homeserver, "/srv/livehouse/hs1/homeserver.yaml");
    assert.equal(p.worker("sync-1"), "/srv/livehouse/hs1/workers/sync-1.yaml");
    const { homeserver, log } = synapseConfig(base);
    assert.deepEqual(JSON.parse(configText(homeserver)), homeserver);
    assert.ok(configText(log).endsWith("}\n"));
    // Synapse's INFO log without the per-request access log.
    assert.deepEqual((log.loggers as Record<string, unknown>)["synapse.access"], { level: "WARNING" });
  });

  it("is pure: the same input gives the same output, and the log config is not shared between calls", () => {
    assert.deepEqual(synapseConfig(base), synapseConfig(base));
    const a = synapseConfig(base);
    (a.log as { version: number }).version = 99;
    assert.equal(synapseConfig(base).log.version, 1);
  });

  it("scales Synapse's caches only when SYNAPSE_CACHE_FACTOR says so, and refuses nonsense", () => {
    assert.equal(synapseConfig(base).homeserver.caches, undefined);
    assert.deepEqual(synapseConfig({ ...base, env: { SYNAPSE_CACHE_FACTOR: "2" } }).homeserver.caches, { global_factor: 2 });
    for (const bad of ["0", "-1", "lots", "100"]) assert.throws(() => synapseConfig({ ...base, env: { SYNAPSE_CACHE_FACTOR: bad } }), /SYNAPSE_CACHE_FACTOR/);
  });
});
