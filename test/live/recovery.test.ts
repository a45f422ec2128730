// Sessions recover when their events are lost: ingest killed under a publisher, or an expiry timer gone.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { db } from "../../lib/db.ts";
import { sweepStaleSessions } from "../../lib/liveSessions.ts";
import { closeQueues } from "../../lib/queue.ts";
import { closeConnectionsAfter } from "../support/env.ts";
import { makeChannel, makeUser } from "../support/fixtures.ts";
import { liveChannel, publish, rolePids, waitFor, waitForLive } from "../support/live.ts";
import { INGEST } from "../../scripts/roles.ts";

closeConnectionsAfter();
after(() => closeQueues());

describe("stale-session recovery", () => {
  it("ingest SIGKILLed under a publisher that never returns: the session still ends, and its replay is made", async () => {
    const ch = await liveChannel();
    const pub = publish(ch.key);
    try {
      const { sessionId } = await waitForLive(ch.slug);
      await new Promise((r) => setTimeout(r, 3000));
      const [ingest] = rolePids(INGEST);
      assert.ok(ingest, "ingest process found");
      process.kill(ingest, "SIGKILL"); // no clean disconnect is ever reported
      await pub.exited; // the publisher gives up with its connection
      const session = await waitFor("the sweeper to end the session", async () => {
        const s = await db().liveSession.findUnique({ where: { id: sessionId } });
        return s?.status === "ended" ? s : null;
      }, 60_000, 500);
      assert.equal(session.endReason, "publisher-left");
      await waitFor("its replay", () => db().replay.findUnique({ where: { sessionId } }), 120_000, 200);
    } finally {
      await pub.stop();
    }
  });

  it("a reconnect window whose expiry job was lost is closed by the sweep", async () => {
    const owner = await makeUser("sweep");
    const channel = await makeChannel(owner);
    const endedAt = new Date(Date.now() - 3600_000);
    const session = await db().liveSession.create({ data: { channelId: channel.id, status: "reconnecting", ladder: "360p30@800k", segmentSeconds: 1 } });
    await db().livePart.create({ data: { sessionId: session.id, index: 0, startedAt: new Date(endedAt.getTime() - 60_000), endedAt } });
    const swept = await sweepStaleSessions();
    assert.ok(swept.expired >= 1);
    const after = await db().liveSession.findUniqueOrThrow({ where: { id: session.id } });
    assert.equal(after.status, "ended");
    assert.equal(after.endReason, "reconnect-window-expired");
    // A session still inside its window is left alone.
    const fresh = await db().liveSession.create({ data: { channelId: (await makeChannel(owner)).id, status: "reconnecting", ladder: "360p30@800k", segmentSeconds: 1 } });
    await db().livePart.create({ data: { sessionId: fresh.id, index: 0, startedAt: new Date(), endedAt: new Date() } });
    await sweepStaleSessions();
    assert.equal((await db().liveSession.findUniqueOrThrow({ where: { id: fresh.id } })).status, "reconnecting");
  });
});
