// Ingest refuses what it must, quickly, without side effects or secrets in logs.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { revokeStreamKey } from "../../lib/channels.ts";
import { config } from "../../lib/config.ts";
import { db } from "../../lib/db.ts";
import { QUEUE, closeQueues, queue } from "../../lib/queue.ts";
import { closeConnectionsAfter } from "../support/env.ts";
import { liveChannel, publish, readLogs, waitForLive } from "../support/live.ts";
import { rtmpAttempt } from "../support/rtmpClient.ts";
import { makeKey } from "../support/fixtures.ts";
import { spoolReadUrl } from "../../lib/spool.ts";

closeConnectionsAfter();
after(() => closeQueues());

async function jobCount() {
  const counts = await queue(QUEUE.transcode).getJobCounts("active", "waiting", "delayed", "completed", "failed");
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

describe("ingest refuses", () => {
  it("wrong, revoked and malformed keys and the wrong application: closed at once, no session, no job, no key in logs", async () => {
    const ch = await liveChannel();
    const revoked = await makeKey(ch.owner, ch.channelId, "old");
    await revokeStreamKey(ch.owner.id, revoked.id);
    const jobsBefore = await jobCount();
    const attempts = [
      { app: "live", name: "lh_live_" + "Z".repeat(32) },
      { app: "live", name: revoked.key },
      { app: "live", name: "not-a-key-at-all" },
      { app: "other", name: ch.key },
    ];
    for (const [i, a] of attempts.entries()) {
      const r = await rtmpAttempt("publish", a.app, a.name, { localAddress: `127.0.10.${i + 1}` });
      assert.notEqual(r.closedAfterMs, null, `${a.app}/${a.name.slice(0, 12)} was not closed`);
      assert.ok(r.closedAfterMs! < 1500, `closed after ${r.closedAfterMs} ms`);
    }
    assert.equal(await db().liveSession.count({ where: { channelId: ch.channelId } }), 0);
    assert.equal(await jobCount(), jobsBefore, "no transcode job was queued");
    const logs = readLogs();
    assert.match(logs, /publish refused.*unknown, revoked or malformed stream key/);
    for (const a of attempts) assert.ok(!logs.includes(a.name), `log contains ${a.name.slice(0, 12)}…`);
  });

  it("slows down guessing: an address with repeated bad keys is refused even with a good key; others are not", async () => {
    const ch = await liveChannel();
    const attacker = "127.0.20.20";
    for (let i = 0; i < config.ingestMaxKeyFailures; i++) {
      await rtmpAttempt("publish", "live", "lh_live_" + String(i).padStart(32, "x"), { localAddress: attacker, waitMs: 1500 });
    }
    const blocked = await rtmpAttempt("publish", "live", ch.key, { localAddress: attacker, waitMs: 1500 });
    assert.equal(blocked.started, false, "a blocked address gets no publish");
    assert.notEqual(blocked.closedAfterMs, null);
    assert.equal(await db().liveSession.count({ where: { channelId: ch.channelId } }), 0);
    const other = await rtmpAttempt("publish", "live", ch.key, { localAddress: "127.0.20.21", waitMs: 1500 });
    assert.equal(other.started, true);
  });

  it("nobody reads a stream on the RTMP port, and the spool only with the newest epoch's token", async () => {
    const ch = await liveChannel();
    const pub = publish(ch.key);
    try {
      await waitForLive(ch.slug);
      const part = await db().livePart.findFirstOrThrow({ where: { session: { channelId: ch.channelId } } });
      for (const [app, name] of [["live", ch.key], ["internal", part.id], ["internal", `${part.id}?e=99&t=${"0".repeat(64)}`], ["pending", "x"]]) {
        const r = await rtmpAttempt("play", app, name, { waitMs: 1500 });
        assert.equal(r.mediaBytes, 0, `${app} read got media`);
        assert.notEqual(r.closedAfterMs, null, `${app} read was not closed`);
      }
      // The spool: a wrong token is refused, an older epoch than the worker's is refused...
      const current = (await db().livePart.findUniqueOrThrow({ where: { id: part.id } })).transcodeEpoch;
      const forged = new URL(await spoolReadUrl(part, current + 1));
      forged.searchParams.set("t", "f".repeat(64));
      assert.equal((await fetch(forged)).status, 403);
      assert.equal((await fetch(await spoolReadUrl(part, current - 1))).status, 409);
      // ...and a signed read of the current epoch receives the source (the worker keeps its own: same epoch).
      const res = await fetch(await spoolReadUrl(part, current));
      assert.equal(res.status, 200);
      const reader = res.body!.getReader();
      let bytes = 0;
      while (bytes < 10_000) {
        const { value, done } = await reader.read();
        if (done) break;
        bytes += value.length;
      }
      await reader.cancel();
      assert.ok(bytes >= 10_000, `signed read got ${bytes} bytes`);
    } finally {
      await pub.stop();
    }
  });
});
