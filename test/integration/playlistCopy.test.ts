// With media in a bucket, a live session's segment lists and master data are
// also kept in Redis (lib/hls/playlistCopy.ts), so a takeover or the close
// reads them in one round trip instead of a GET each. Real Redis, real S3
// server (Ceph radosgw). What must hold: the copy is what a fresh writer reads;
// values another Redis server wrote (a restart, maybe from an older snapshot)
// are never trusted; the close makes the replay from it and then drops it; the
// local store keeps no copy.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { db } from "../../lib/db.ts";
import { planRenditions } from "../../lib/ffmpeg/liveLadder.ts";
import { LivePlaylists } from "../../lib/hls/livePlaylists.ts";
import { parseLadder } from "../../lib/ladder.ts";
import { closePlaylistsIfEnded } from "../../lib/live/pen.ts";
import { MEDIA_KEY } from "../../lib/media/layout.ts";
import { S3MediaStore } from "../../lib/media/s3Store.ts";
import { LocalMediaStore } from "../../lib/media/store.ts";
import { closeQueues } from "../../lib/queue.ts";
import { redis } from "../../lib/redis.ts";
import { REDIS_KEY } from "../../lib/redisKeys.ts";
import { closeConnectionsAfter } from "../support/env.ts";
import { makeChannel, makeUser } from "../support/fixtures.ts";
import { testS3Settings } from "../support/s3.ts";

closeConnectionsAfter();
after(() => closeQueues());

const LADDER = "720p30@2500k|360p30@800k";
const renditions = planRenditions({ width: 1280, height: 720, fps: 30, videoCodec: null, audioCodec: "mp4a.40.2" }, parseLadder(LADDER));
const seg = (i: number) => ({ seg: { uri: `p0e1-${String(i).padStart(6, "0")}.ts`, duration: 2, part: 0 } });

/** An ended session whose one part is fully listed: what the finalize job closes. */
async function endedSession(keepReplays = true) {
  const owner = await makeUser("plcopy");
  const channel = await makeChannel(owner);
  if (!keepReplays) await db().channel.update({ where: { id: channel.id }, data: { keepReplays: false } });
  const startedAt = new Date(Date.now() - 60_000);
  const session = await db().liveSession.create({ data: { channelId: channel.id, status: "ended", ladder: LADDER, segmentSeconds: 2, startedAt, endedAt: new Date() } });
  await db().livePart.create({ data: { sessionId: session.id, index: 0, startedAt, endedAt: new Date(), transcodeDoneAt: new Date() } });
  return session;
}

/** A session's playlists as a transcode writes them: the master, then segments in two appends. */
async function publish(store: S3MediaStore | LocalMediaStore, sessionId: string, segments: number): Promise<void> {
  const writer = new LivePlaylists(store, sessionId, 2);
  await writer.lock(async () => {
    await writer.writeMaster(renditions);
    for (const r of renditions) {
      await writer.appendMany(r.name, [0, 1].map(seg));
      await writer.appendMany(r.name, Array.from({ length: segments - 2 }, (_, i) => seg(i + 2)));
    }
  });
}

describe("the segment lists' copy in Redis (media in a bucket)", () => {
  const store = new S3MediaStore(testS3Settings());
  before(() => store.ensureBucket());
  after(() => store.close());

  it("is what a fresh reader gets, without asking the bucket", async () => {
    const session = await endedSession();
    await publish(store, session.id, 5);
    // Gone from the bucket: only the copy can answer now.
    await store.delete(MEDIA_KEY.masterData(session.id));
    for (const r of renditions) await store.delete(MEDIA_KEY.segmentList(session.id, r.name));
    const reader = new LivePlaylists(store, session.id, 2);
    assert.deepEqual((await reader.readMaster())?.renditions.map((r) => r.name), renditions.map((r) => r.name));
    for (const r of renditions) assert.deepEqual((await reader.load(r.name)).segments.map((s) => s.uri), [0, 1, 2, 3, 4].map((i) => seg(i).seg.uri));
  });

  it("is not trusted when another Redis server wrote it (a restart from an older snapshot): the bucket answers", async () => {
    const session = await endedSession();
    await publish(store, session.id, 5);
    // What an older snapshot would hold: two segments fewer, written by a server with another run id.
    const stale = JSON.stringify({ ...(await new LivePlaylists(store, session.id, 2).load(renditions[0].name)), segments: [seg(0).seg, seg(1).seg, seg(2).seg] });
    await redis().hset(REDIS_KEY.playlistCopy(session.id), `list:${renditions[0].name}`, `0123456789abcdef0123456789abcdef01234567 ${stale}`);
    const reader = new LivePlaylists(store, session.id, 2);
    assert.equal((await reader.load(renditions[0].name)).segments.length, 5, "the bucket's full list, not the untrusted copy");
    // A writer appending now extends the full list, and the copy is right again.
    await reader.lock(() => reader.appendMany(renditions[0].name, [seg(5)]));
    await store.delete(MEDIA_KEY.segmentList(session.id, renditions[0].name));
    assert.equal((await new LivePlaylists(store, session.id, 2).load(renditions[0].name)).segments.length, 6);
  });

  it("gives the close every segment, and is dropped once the replay is made", async () => {
    const session = await endedSession();
    await publish(store, session.id, 7);
    assert.equal(await redis().exists(REDIS_KEY.playlistCopy(session.id)), 1);
    assert.equal(await closePlaylistsIfEnded(session.id, store), "closed");
    const replay = await db().replay.findUnique({ where: { sessionId: session.id } });
    assert.ok(replay, "the replay is made");
    assert.equal(replay.durationSeconds, 14);
    for (const r of renditions) {
      const vod = (await store.getText(MEDIA_KEY.vodPlaylist(session.id, r.name)))!;
      assert.equal(vod.match(/\.ts$/gm)?.length, 7, `${r.name}: every segment in the replay`);
      assert.match((await store.getText(MEDIA_KEY.mediaPlaylist(session.id, r.name)))!, /#EXT-X-ENDLIST/);
    }
    assert.equal(await redis().exists(REDIS_KEY.playlistCopy(session.id)), 0, "the copy is dropped");
  });

  it("is dropped too when the channel keeps no replays", async () => {
    const session = await endedSession(false);
    await publish(store, session.id, 3);
    assert.equal(await closePlaylistsIfEnded(session.id, store), "closed");
    assert.equal(await redis().exists(REDIS_KEY.playlistCopy(session.id)), 0);
  });
});

describe("the local store", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lh-plcopy-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("keeps no copy in Redis: its reads are cheap", async () => {
    const session = await endedSession();
    await publish(new LocalMediaStore(dir), session.id, 3);
    assert.equal(await redis().exists(REDIS_KEY.playlistCopy(session.id)), 0);
  });
});
