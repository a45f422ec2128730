// Synapse with a sync worker, as SYNAPSE_SYNC_WORKERS=1 runs it: this test starts
// a homeserver of its own (main process + one generic_worker + our router, its
// own PostgreSQL database and Redis channels), two users chat in a public room,
// and the receiver's /sync long-polls are answered by the worker — counted by
// the router and by the worker's and main's own metrics — with every message,
// in order, as soon as it is sent (the worker learns of it over Redis).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { freePort } from "../../scripts/ports.ts";
import type { SynapseInstance } from "../../scripts/synapse.ts";
import { closeConnectionsAfter } from "../support/env.ts";
import { startOwnHomeserver, type OwnHomeserver } from "../support/ownHomeserver.ts";
import { join, mx, registeredUser, say, type MatrixUser } from "../support/matrix.ts";

closeConnectionsAfter();

let own: OwnHomeserver;
let hs: SynapseInstance;
let mainMetricsUrl: string;

before(async () => {
  const metricsPort = await freePort();
  mainMetricsUrl = `http://127.0.0.1:${metricsPort}/_synapse/metrics`;
  own = await startOwnHomeserver("syncworker", { postgres: true, syncWorkers: 1, metricsPort });
  hs = own.hs;
});

after(() => own?.stop());

interface SyncResponse {
  next_batch: string;
  rooms?: { join?: Record<string, { timeline?: { events?: { type: string; sender: string; content: { body?: string } }[] } }> };
}

/** Long polls wait this long; a message that arrives well before (WOKEN_MS) woke the worker through replication. */
const POLL_MS = 90_000;
const WOKEN_MS = 45_000;

const sync = (u: MatrixUser, since?: string, timeoutMs = 0) =>
  mx<SyncResponse>(u, "GET", `/_matrix/client/v3/sync?timeout=${timeoutMs}${since ? `&since=${encodeURIComponent(since)}` : ""}`);

const bodiesIn = (r: SyncResponse, roomId: string) =>
  (r.rooms?.join?.[roomId]?.timeline?.events ?? []).filter((e) => e.type === "m.room.message").map((e) => `${e.sender}: ${e.content.body}`);

/** SyncRestServlet requests one Synapse process has received, from its Prometheus metrics. */
async function syncServletRequests(metricsUrl: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  let n = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("synapse_http_server_requests_received_total{") && line.includes('servlet="SyncRestServlet"')) n += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return n;
}

describe("Synapse with a sync worker behind the router", () => {
  it("delivers a conversation through /sync served by the worker, not by main", async () => {
    const workers = hs.workers;
    assert.ok(workers, "startSynapse({ syncWorkers: 1 }) runs workers");
    assert.equal(workers.sync.length, 1);
    const [worker] = workers.sync;

    const alice = await registeredUser(undefined, hs.clientUrl, hs.registrationSharedSecret);
    const bob = await registeredUser(undefined, hs.clientUrl, hs.registrationSharedSecret);
    const { room_id: roomId } = await mx<{ room_id: string }>(alice, "POST", "/_matrix/client/v3/createRoom", { preset: "public_chat", name: "Raid" });
    assert.equal(await join(bob, roomId), roomId);

    // Bob's client: an initial sync, then long polls from its token.
    let since = (await sync(bob)).next_batch;
    const routedBefore = { ...workers.routed };
    const lines = ["first", "second", "third"].map((w) => `${w} message`);
    const received: string[] = [];
    for (const line of lines) {
      // The poll is open before the message exists: only replication over Redis
      // can wake the worker in time.
      const poll = sync(bob, since, POLL_MS);
      await new Promise((r) => setTimeout(r, 300));
      const sentAt = Date.now();
      await say(alice, roomId, line);
      let r = await poll;
      while (!bodiesIn(r, roomId).length) {
        assert.ok(Date.now() - sentAt < WOKEN_MS, `"${line}" did not reach bob's /sync`);
        since = r.next_batch;
        r = await sync(bob, since, POLL_MS);
      }
      // Well before the poll's own timeout: the worker was woken by the message, it did not just time out and re-read.
      assert.ok(Date.now() - sentAt < WOKEN_MS, `"${line}" took ${Date.now() - sentAt} ms to reach the long poll`);
      received.push(...bodiesIn(r, roomId));
      since = r.next_batch;
    }
    assert.deepEqual(received, lines.map((l) => `${alice.userId}: ${l}`), "every message once, in order");

    // Where the requests went: the router's count per upstream …
    const syncs = workers.routed[worker.name] - routedBefore[worker.name];
    assert.ok(syncs >= lines.length, `the router sent ${syncs} syncs to ${worker.name}`);
    assert.ok(workers.routed.main - routedBefore.main >= lines.length, "the sends went to main");
    // … and Synapse's own count in each process.
    assert.ok(worker.metricsUrl);
    const servedByWorker = await syncServletRequests(worker.metricsUrl);
    assert.ok(servedByWorker >= syncs, `the worker's metrics count ${servedByWorker} /sync requests (router: ${syncs})`);
    assert.equal(await syncServletRequests(mainMetricsUrl), 0, "the main process served no /sync");
  });
});
