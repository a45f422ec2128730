// /hls/* over HTTP: content types, caching, CORS, and no way out of the media directory.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { db } from "../../lib/db.ts";
import { Prisma } from "../../lib/generated/prisma/client.ts";
import { planRenditions } from "../../lib/ffmpeg/liveLadder.ts";
import { LivePlaylists } from "../../lib/hls/livePlaylists.ts";
import { parseLadder } from "../../lib/ladder.ts";
import { closePlaylistsIfEnded } from "../../lib/live/pen.ts";
import { MEDIA_KEY } from "../../lib/media/layout.ts";
import { mediaStore } from "../../lib/media/store.ts";
import { closeQueues } from "../../lib/queue.ts";
import { closeConnectionsAfter } from "../support/env.ts";
import { makeChannel, makeUser } from "../support/fixtures.ts";
import { request } from "../support/http.ts";

closeConnectionsAfter();
after(() => closeQueues());

const media = process.env.MEDIA_DIR!;
let id: string = randomUUID();
const orphan = randomUUID();

describe("HLS over HTTP", () => {
  before(async () => {
    // Media is served for sessions that exist.
    const owner = await makeUser("hls");
    const channel = await makeChannel(owner);
    id = (await db().liveSession.create({ data: { channelId: channel.id, status: "live", ladder: "720p30@2500k", segmentSeconds: 1 } })).id;
    mkdirSync(path.join(media, "live", orphan), { recursive: true });
    writeFileSync(path.join(media, "live", orphan, "master.m3u8"), "#EXTM3U\n");
    mkdirSync(path.join(media, "live", id, "720p30"), { recursive: true });
    writeFileSync(path.join(media, "live", id, "master.m3u8"), "#EXTM3U\n");
    writeFileSync(path.join(media, "live", id, "720p30", "index.m3u8"), "#EXTM3U\n");
    writeFileSync(path.join(media, "live", id, "720p30", "index.json"), "{}");
    writeFileSync(path.join(media, "live", id, "720p30", "p0e1-000001.ts"), Buffer.alloc(188 * 10, 0x47));
    writeFileSync(path.join(media, "secret.txt"), "do not serve");
  });

  it("serves playlists uncached and segments cacheable, with the right types and CORS", async () => {
    const master = await request("GET", `/hls/live/${id}/master.m3u8`);
    assert.equal(master.status, 200);
    assert.equal(master.headers["content-type"], "application/vnd.apple.mpegurl");
    assert.match(String(master.headers["cache-control"]), /no-cache/);
    assert.equal(master.headers["access-control-allow-origin"], "*");
    const seg = await request("GET", `/hls/live/${id}/720p30/p0e1-000001.ts`);
    assert.equal(seg.status, 200);
    assert.equal(seg.headers["content-type"], "video/mp2t");
    assert.match(String(seg.headers["cache-control"]), /max-age=31536000, immutable/);
    assert.equal(seg.headers["content-length"], "1880");
    const preflight = await request("OPTIONS", `/hls/live/${id}/master.m3u8`, { headers: { origin: "https://embed.example", "access-control-request-method": "GET" } });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers["access-control-allow-origin"], "*");
  });

  it("answers 404 to anything but playlists and segments, and to every traversal", async () => {
    const attempts = [
      `/hls/live/${id}/720p30/index.json`,
      `/hls/live/${randomUUID()}/master.m3u8`,
      "/hls/../secret.txt",
      "/hls/%2e%2e/secret.txt",
      "/hls/live/%2e%2e/%2e%2e/secret.txt",
      `/hls/live/${id}/..%2f..%2f..%2fsecret.txt`,
      `/hls/live/${id}/720p30/..%5c..%5csecret.txt`,
      "/hls//etc/passwd",
      "/hls/%2fetc%2fpasswd",
      `/hls/live/${id}/720p30/p0e1-000001.ts%00.m3u8`,
      "/hls/live/..%252f..%252fsecret.txt",
    ];
    for (const p of attempts) {
      const res = await request("GET", p);
      assert.equal(res.status, 404, p);
      assert.ok(!res.text.includes("do not serve"), p);
    }
    assert.equal((await request("DELETE", `/hls/live/${id}/master.m3u8`)).status, 405);
  });

  it("serves no media of a session that has no row (a failed start, a deleted channel)", async () => {
    assert.equal((await request("GET", `/hls/live/${orphan}/master.m3u8`)).status, 404);
  });

  it("serves the player scripts", async () => {
    const op = await request("GET", "/vendor/ovenplayer.js");
    assert.equal(op.status, 200);
    assert.match(String(op.headers["content-type"]), /javascript/);
    assert.equal((await request("GET", "/vendor/../package.json")).status, 404);
  });

  it("answers a replay's master playlist from its row: the text the store holds, without reading it", async () => {
    const owner = await makeUser("hlsreplay");
    const channel = await makeChannel(owner);
    const session = await db().liveSession.create({ data: { channelId: channel.id, status: "ended", ladder: "720p30@2500k|360p30@800k", segmentSeconds: 2, endedAt: new Date() } });
    await db().livePart.create({ data: { sessionId: session.id, index: 0, endedAt: new Date(), transcodeDoneAt: new Date() } });
    const store = mediaStore();
    const renditions = planRenditions({ width: 1280, height: 720, fps: 30, videoCodec: null, audioCodec: "mp4a.40.2" }, parseLadder("720p30@2500k|360p30@800k"));
    const writer = new LivePlaylists(store, session.id, 2);
    await writer.lock(async () => {
      await writer.writeMaster(renditions);
      for (const r of renditions) await writer.appendMany(r.name, [{ seg: { uri: "p0e1-000000.ts", duration: 2, part: 0 } }]);
    });
    assert.equal(await closePlaylistsIfEnded(session.id, store), "closed");
    const stored = await store.getText(MEDIA_KEY.vodMaster(session.id));
    assert.match(stored ?? "", /360p30\/vod\.m3u8/);

    const url = `/hls/${MEDIA_KEY.vodMaster(session.id)}`;
    const first = await request("GET", url);
    assert.equal(first.status, 200);
    assert.equal(first.text, stored);
    assert.equal(first.headers["content-type"], "application/vnd.apple.mpegurl");
    assert.equal(first.headers["access-control-allow-origin"], "*");
    // Gone from the store, still answered: it came from the row.
    await store.delete(MEDIA_KEY.vodMaster(session.id));
    const fromRow = await request("GET", url);
    assert.equal(fromRow.status, 200);
    assert.equal(fromRow.text, stored);

    // A replay made before rows kept renditions: the store answers (here, that it has nothing).
    await db().replay.update({ where: { sessionId: session.id }, data: { renditions: Prisma.DbNull } });
    assert.equal((await request("GET", url)).status, 404);
    await store.putText(MEDIA_KEY.vodMaster(session.id), stored!);
    assert.equal((await request("GET", url)).text, stored);
    // No replay row at all (deleted): nothing from a row.
    await db().replay.deleteMany({ where: { sessionId: session.id } });
    await store.delete(MEDIA_KEY.vodMaster(session.id));
    assert.equal((await request("GET", url)).status, 404);
  });
});
