// The workers' periodic sweep closes ended sessions that nobody else will close. One
// session it cannot close (its media unreadable) must not hold up the others, nor
// the statistics the sweep finishes after them: once it did, every sweep failed on
// the same session and no ended session's statistics were ever finished.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { TRANSACTION_MEMORY_DAYS, transactionProcessed } from "../../lib/chat/store.ts";
import { db } from "../../lib/db.ts";
import { planRenditions } from "../../lib/ffmpeg/liveLadder.ts";
import { LivePlaylists } from "../../lib/hls/livePlaylists.ts";
import { parseLadder } from "../../lib/ladder.ts";
import { MEDIA_KEY } from "../../lib/media/layout.ts";
import { mediaStore } from "../../lib/media/store.ts";
import { closeQueues } from "../../lib/queue.ts";
import { sweep } from "../../workers/sweep.ts";
import { closeConnectionsAfter } from "../support/env.ts";
import { makeChannel, makeUser } from "../support/fixtures.ts";

closeConnectionsAfter();
after(() => closeQueues());

/** An ended session whose one part is fully listed, its playlists still open: what the sweep closes. */
async function endedSession(channelId: string) {
  const startedAt = new Date(Date.now() - 60_000);
  const session = await db().liveSession.create({ data: { channelId, status: "ended", ladder: "360p30@800k", segmentSeconds: 2, startedAt, endedAt: new Date() } });
  await db().livePart.create({ data: { sessionId: session.id, index: 0, startedAt, endedAt: new Date(), transcodeDoneAt: new Date() } });
  return session;
}

describe("the sweep", () => {
  it("closes the ended sessions it can and makes their replays, past one it cannot read", async () => {
    const owner = await makeUser("sweep");
    const channel = await makeChannel(owner);
    const store = mediaStore();

    const broken = await endedSession(channel.id);
    await store.putText(MEDIA_KEY.masterData(broken.id), "{ not json");

    const good = await endedSession(channel.id);
    const renditions = planRenditions({ width: 640, height: 360, fps: 30, videoCodec: null, audioCodec: "mp4a.40.2" }, parseLadder("360p30@800k"));
    const playlists = new LivePlaylists(store, good.id, 2);
    await playlists.writeMaster(renditions);
    await playlists.appendMany(renditions[0].name, [0, 1, 2].map((i) => ({ seg: { uri: `p0e1-00000${i}.ts`, duration: 2, part: 0 } })));

    try {
      await sweep(store);
      const closed = await db().liveSession.findUniqueOrThrow({ where: { id: good.id }, include: { replay: true } });
      assert.ok(closed.playlistsClosedAt, "the readable session's playlists are closed");
      assert.ok(closed.replay, "and its replay is made");
      assert.match((await store.getText(MEDIA_KEY.vodMaster(good.id)))!, /vod\.m3u8/);
      assert.match((await store.getText(MEDIA_KEY.mediaPlaylist(good.id, renditions[0].name)))!, /#EXT-X-ENDLIST/);
      const stuck = await db().liveSession.findUniqueOrThrow({ where: { id: broken.id } });
      assert.equal(stuck.playlistsClosedAt, null, "the unreadable one stays open for the next sweep");
    } finally {
      // The platform's own workers sweep the same database: take the unreadable one off their list.
      await db().liveSession.update({ where: { id: broken.id }, data: { playlistsClosedAt: new Date() } });
    }
  });

  it("forgets appservice transaction ids older than a week, and keeps the recent ones", async () => {
    const old = `sweep-old-${Date.now()}`;
    const recent = `sweep-recent-${Date.now()}`;
    await db().matrixTransaction.create({ data: { txnId: old, eventCount: 1, processedAt: new Date(Date.now() - (TRANSACTION_MEMORY_DAYS + 1) * 86_400_000) } });
    await db().matrixTransaction.create({ data: { txnId: recent, eventCount: 1, processedAt: new Date(Date.now() - (TRANSACTION_MEMORY_DAYS - 1) * 86_400_000) } });
    await sweep(mediaStore());
    assert.equal(await transactionProcessed(old), false, "the old id is forgotten");
    assert.equal(await transactionProcessed(recent), true, "the recent one is kept: the homeserver might still resend it");
  });
});
