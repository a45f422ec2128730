// Synapse at scale, the parts without a homeserver: which paths go to the sync
// workers and who sticks to which, the worker config files, the router in front
// (against stand-in upstreams), and the rate-limit figures against the crowd
// they are meant for (a leaky bucket as Synapse's Ratelimiter computes it).
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { CROWD_RATE_DEFAULTS, crowdRateLimits, parseRate, type Rate } from "../../scripts/synapseRateLimits.ts";
import { startSynapseRouter, type SynapseRouter } from "../../scripts/synapseRouter.ts";
import { isSyncWorkerPath, mainProcessWorkerConfig, pickWorker, redisConfig, stickyKey, syncWorkerConfig, syncWorkerCount } from "../../scripts/synapseWorkers.ts";

describe("sync worker routing", () => {
  it("sends /sync, /events and /initialSync to the sync workers and nothing else", () => {
    for (const p of [
      "/_matrix/client/v3/sync",
      "/_matrix/client/r0/sync",
      "/_matrix/client/v3/events",
      "/_matrix/client/api/v1/events",
      "/_matrix/client/r0/initialSync",
      "/_matrix/client/v3/rooms/!abc%3Aexample.org/initialSync",
      "/_matrix/client/api/v1/rooms/!abc:example.org/initialSync",
    ]) assert.ok(isSyncWorkerPath(p), p);
    for (const p of [
      "/_matrix/client/v3/sync/extra",
      "/_matrix/client/v4/sync",
      "/_matrix/client/api/v1/sync",
      "/_matrix/client/v3/rooms/!abc:example.org/messages",
      "/_matrix/client/v3/rooms/!a/b/initialSync",
      "/_matrix/client/v3/events/$eventid",
      "/_matrix/client/v3/login",
      "/_synapse/admin/v1/register",
      "/_matrix/federation/v1/send/1",
      "/prefix/_matrix/client/v3/sync",
    ]) assert.equal(isSyncWorkerPath(p), false, p);
  });

  it("sticks a user to one worker: by the localpart in syt_ tokens, else the token", () => {
    const b64 = Buffer.from("alice").toString("base64url");
    assert.equal(stickyKey(`Bearer syt_${b64}_AbCdEf_123abc`, ""), b64);
    assert.equal(stickyKey(`Bearer syt_${b64}_OtherDevice_456`, ""), b64, "every device of alice");
    assert.equal(stickyKey(undefined, `?since=s1&access_token=syt_${b64}_x_y`), b64);
    assert.equal(stickyKey("Bearer MDAxOGxvY2F0aW9u", "?access_token=other"), "MDAxOGxvY2F0aW9u", "the header wins");
    assert.equal(stickyKey(undefined, "?timeout=30000"), "");
    assert.equal(stickyKey("Basic dXNlcjpwdw==", ""), "");
  });

  it("spreads users over the workers and keeps each on one", () => {
    assert.equal(pickWorker("anyone", 1), 0);
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) {
      const w = pickWorker(`user${i}`, 3);
      assert.equal(pickWorker(`user${i}`, 3), w);
      counts[w]++;
    }
    for (const c of counts) assert.ok(c > 850 && c < 1150, `uneven spread ${counts}`);
  });

  it("reads SYNAPSE_SYNC_WORKERS: off by default, a small whole number otherwise", () => {
    assert.equal(syncWorkerCount({}), 0);
    assert.equal(syncWorkerCount({ SYNAPSE_SYNC_WORKERS: "" }), 0);
    assert.equal(syncWorkerCount({ SYNAPSE_SYNC_WORKERS: "2" }), 2);
    for (const bad of ["-1", "1.5", "yes", "17"]) assert.throws(() => syncWorkerCount({ SYNAPSE_SYNC_WORKERS: bad }), /SYNAPSE_SYNC_WORKERS/);
  });
});

describe("worker config files", () => {
  it("gives the main process Redis, a replication listener and instance_map.main pointing at it", () => {
    const { listener, shared } = mainProcessWorkerConfig({ replicationHost: "127.0.0.1", replicationPort: 9093, redis: redisConfig("redis://127.0.0.1:6379"), replicationSecret: "s3cret" });
    assert.deepEqual(listener, { port: 9093, bind_addresses: ["127.0.0.1"], type: "http", tls: false, x_forwarded: false, resources: [{ names: ["replication"], compress: false }] });
    assert.deepEqual(shared, {
      redis: { enabled: true, host: "127.0.0.1", port: 6379 },
      instance_map: { main: { host: "127.0.0.1", port: 9093 } },
      worker_replication_secret: "s3cret",
    });
    const compose = mainProcessWorkerConfig({ replicationHost: "synapse", replicationPort: 9093, replicationBind: ["0.0.0.0"], redis: redisConfig("redis://redis:6379"), replicationSecret: "x" });
    assert.deepEqual(compose.listener.bind_addresses, ["0.0.0.0"]);
    assert.deepEqual(compose.shared.instance_map, { main: { host: "synapse", port: 9093 } });
  });

  it("reads Redis's address, database, password and TLS from a redis:// URL", () => {
    assert.deepEqual(redisConfig("rediss://:p%40ss@cache.internal:6380/2"), { enabled: true, host: "cache.internal", port: 6380, dbid: 2, password: "p@ss", use_tls: true });
    assert.throws(() => redisConfig("http://127.0.0.1:6379"), /redis:\/\//);
  });

  it("makes a generic_worker with a client listener (and metrics when asked)", () => {
    assert.deepEqual(syncWorkerConfig({ name: "sync-1", port: 8083, bindAddresses: ["127.0.0.1"], xForwarded: true }), {
      worker_app: "synapse.app.generic_worker",
      worker_name: "sync-1",
      worker_listeners: [{ type: "http", port: 8083, bind_addresses: ["127.0.0.1"], tls: false, x_forwarded: true, resources: [{ names: ["client"], compress: false }] }],
    });
    const withMetrics = syncWorkerConfig({ name: "sync-2", port: 8084, bindAddresses: ["0.0.0.0"], xForwarded: true, metricsPort: 9101, logConfig: "/data/log.yaml" });
    assert.deepEqual((withMetrics.worker_listeners as unknown[])[1], { type: "metrics", port: 9101, bind_addresses: ["0.0.0.0"] });
    assert.equal(withMetrics.worker_log_config, "/data/log.yaml");
    // Synapse merges config files shallowly: a worker file must not replace the main process's sections.
    for (const key of ["listeners", "redis", "instance_map", "database"]) assert.equal(key in withMetrics, false, key);
  });
});

describe("the router", () => {
  // Stand-in upstreams that say who they are and echo what they were sent.
  const upstreams: http.Server[] = [];
  const urls: Record<string, string> = {};
  let router: SynapseRouter;
  let deadPort = 0;

  const upstream = async (name: string) => {
    const srv = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        res.writeHead(200, { "content-type": "application/json", "x-upstream": name });
        res.end(JSON.stringify({ name, method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() }));
      });
    });
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
    upstreams.push(srv);
    urls[name] = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  };

  before(async () => {
    for (const n of ["main", "sync-1", "sync-2"]) await upstream(n);
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", () => r()));
    deadPort = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const port = await new Promise<number>((resolve) => {
      const s = http.createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    router = await startSynapseRouter({
      host: "127.0.0.1",
      port,
      main: { name: "main", url: urls.main },
      syncWorkers: [{ name: "sync-1", url: urls["sync-1"] }, { name: "sync-2", url: urls["sync-2"] }],
    });
  });
  after(async () => {
    await router?.close();
    for (const s of upstreams) s.close();
  });

  const call = async (p: string, init: RequestInit = {}) => {
    const res = await fetch(router.url + p, init);
    return { status: res.status, upstream: res.headers.get("x-upstream"), body: (await res.json()) as { url: string; method: string; body: string; headers: http.IncomingHttpHeaders } };
  };

  it("sends syncs to a worker, sticky per user, and everything else to main, bodies and query intact", async () => {
    const alice = { authorization: `Bearer syt_${Buffer.from("alice").toString("base64url")}_dev1_abc` };
    const first = await call("/_matrix/client/v3/sync?since=s1&timeout=30000", { headers: alice });
    assert.match(first.upstream ?? "", /^sync-[12]$/);
    assert.equal(first.body.url, "/_matrix/client/v3/sync?since=s1&timeout=30000");
    for (let i = 0; i < 5; i++) assert.equal((await call(`/_matrix/client/v3/sync?since=s${i}`, { headers: alice })).upstream, first.upstream, "alice stays on one worker");
    // Users land on both workers.
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) seen.add((await call("/_matrix/client/v3/sync", { headers: { authorization: `Bearer token-${i}` } })).upstream ?? "");
    assert.deepEqual([...seen].sort(), ["sync-1", "sync-2"]);

    const body = JSON.stringify({ msgtype: "m.text", body: "x".repeat(200_000) });
    const send = await call("/_matrix/client/v3/rooms/!r:x/send/m.room.message/t1", { method: "PUT", body, headers: { ...alice, "content-type": "application/json" } });
    assert.equal(send.upstream, "main");
    assert.equal(send.body.method, "PUT");
    assert.equal(send.body.body, body, "the request body arrives whole");
    assert.equal((await call("/_matrix/client/v3/sync/other")).upstream, "main");
    assert.ok(router.routed["sync-1"] > 0 && router.routed["sync-2"] > 0 && router.routed.main >= 2, JSON.stringify(router.routed));
  });

  it("sets X-Forwarded-For from its own connection (a client's own value is not believed) and drops hop-by-hop headers", async () => {
    const seen = await new Promise<{ headers: http.IncomingHttpHeaders }>((resolve, reject) => {
      const req = http.request(`${router.url}/_matrix/client/v3/login`, {
        headers: { "x-forwarded-for": "203.0.113.9", connection: "keep-alive, x-hop", "x-hop": "1", "x-end-to-end": "kept" },
      });
      req.on("response", (res) => {
        let text = "";
        res.on("data", (c) => (text += c));
        res.on("end", () => resolve(JSON.parse(text)));
      });
      req.on("error", reject);
      req.end();
    });
    assert.equal(seen.headers["x-forwarded-for"], "127.0.0.1");
    assert.equal(seen.headers["x-forwarded-proto"], "http");
    assert.equal(seen.headers["x-hop"], undefined, "a header named in Connection is not forwarded");
    assert.equal(seen.headers["x-end-to-end"], "kept");
  });

  it("falls back to main for a sync worker that is down, and answers 502 when main is", async () => {
    const lonely = await startSynapseRouter({ host: "127.0.0.1", port: deadPort, main: { name: "main", url: urls.main }, syncWorkers: [{ name: "sync-1", url: "http://127.0.0.1:9" }] });
    try {
      const res = await fetch(`${lonely.url}/_matrix/client/v3/sync`);
      assert.equal(res.headers.get("x-upstream"), "main");
      assert.deepEqual(lonely.routed, { main: 1, "sync-1": 1 });
    } finally {
      await lonely.close();
    }
    const noMain = await startSynapseRouter({ host: "127.0.0.1", port: deadPort, main: { name: "main", url: "http://127.0.0.1:9" }, syncWorkers: [] });
    try {
      const res = await fetch(`${noMain.url}/_matrix/client/versions`);
      assert.equal(res.status, 502);
      assert.equal(((await res.json()) as { errcode: string }).errcode, "M_UNKNOWN");
    } finally {
      await noMain.close();
    }
  });
});

/**
 * Synapse's Ratelimiter (synapse/api/ratelimiting.py) for one key: the count
 * leaks at per_second; an action is allowed while count + 1 <= burst_count, and
 * a refusal says when the next one will be (retry_after_ms).
 */
function bucket(rate: Rate) {
  let count = 0;
  let at = 0;
  return (now: number): { ok: true } | { ok: false; retryAfter: number } => {
    count = Math.max(0, count - (now - at) * rate.per_second);
    at = now;
    if (count + 1 <= rate.burst_count) {
      count += 1;
      return { ok: true };
    }
    return { ok: false, retryAfter: (count + 1 - rate.burst_count) / rate.per_second };
  };
}

/** Clients arriving at the given times, each retrying when told to; when each gets in. */
function admit(rate: Rate, arrivals: number[]): number[] {
  const take = bucket(rate);
  const queue = arrivals.map((t, i) => ({ t, i })).sort((a, b) => a.t - b.t);
  const inAt: number[] = [];
  while (queue.length) {
    const next = queue.shift()!;
    const r = take(next.t);
    if (r.ok) inAt[next.i] = next.t;
    else {
      queue.push({ t: next.t + r.retryAfter + 0.05, i: next.i });
      queue.sort((a, b) => a.t - b.t);
    }
  }
  return inAt;
}

describe("rate limits for a live-chat crowd", () => {
  it("absorbs a raid: 100 joins in 10 s into one room all get in within ~10 s of retries", () => {
    const arrivals = Array.from({ length: 100 }, (_, i) => i / 10);
    const inAt = admit(CROWD_RATE_DEFAULTS.joinsPerRoom, arrivals);
    const worstWait = Math.max(...inAt.map((t, i) => t - arrivals[i]));
    assert.ok(Math.max(...inAt) <= 12, `last join at ${Math.max(...inAt).toFixed(1)} s`);
    assert.ok(worstWait <= 10, `worst wait ${worstWait.toFixed(1)} s`);
    // Synapse's own default (1/s after 10) would keep the last of them waiting over a minute.
    assert.ok(Math.max(...admit({ per_second: 1, burst_count: 10 }, arrivals)) > 80);
  });

  it("takes a few hundred new chatters from one address in the first minute", () => {
    const arrivals = Array.from({ length: 250 }, (_, i) => (i * 60) / 250);
    assert.ok(Math.max(...admit(CROWD_RATE_DEFAULTS.registration, arrivals)) <= 75);
  });

  it("still holds a bot flood to the refill rate", () => {
    for (const rate of [CROWD_RATE_DEFAULTS.joinsPerRoom, CROWD_RATE_DEFAULTS.registration, CROWD_RATE_DEFAULTS.joinsLocal]) {
      const take = bucket(rate);
      let admitted = 0;
      // 100 attempts a second for 60 s.
      for (let i = 0; i < 6000; i++) if (take(i / 100).ok) admitted++;
      assert.ok(admitted <= rate.burst_count + 60 * rate.per_second + 1, `${admitted} admitted at ${rate.per_second}/s after ${rate.burst_count}`);
    }
  });

  it("writes them into homeserver.yaml, SYNAPSE_RC_* overriding the figures", () => {
    assert.deepEqual(crowdRateLimits({}), {
      rc_registration: CROWD_RATE_DEFAULTS.registration,
      rc_joins: { local: CROWD_RATE_DEFAULTS.joinsLocal, remote: { per_second: 0.01, burst_count: 10 } },
      rc_joins_per_room: CROWD_RATE_DEFAULTS.joinsPerRoom,
    });
    const custom = crowdRateLimits({ SYNAPSE_RC_REGISTRATION: "0.5/20", SYNAPSE_RC_JOINS_PER_ROOM: " 10 / 200 ", SYNAPSE_RC_JOINS_LOCAL: "" });
    assert.deepEqual(custom.rc_registration, { per_second: 0.5, burst_count: 20 });
    assert.deepEqual(custom.rc_joins_per_room, { per_second: 10, burst_count: 200 });
    assert.deepEqual((custom.rc_joins as { local: Rate }).local, CROWD_RATE_DEFAULTS.joinsLocal);
    for (const bad of ["5", "0/10", "5/0", "-1/5", "five/50", "5/50/1"]) assert.throws(() => parseRate("SYNAPSE_RC_JOINS_PER_ROOM", bad, CROWD_RATE_DEFAULTS.joinsPerRoom), /SYNAPSE_RC_JOINS_PER_ROOM/);
  });
});
