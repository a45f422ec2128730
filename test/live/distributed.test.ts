// Roles on other hosts without a shared file system: media in a real S3 bucket
// (the run's radosgw), two ingest hosts, two workers that know no ingest of their
// own, and a web process, none sharing a directory with another. Creators publish
// to either ingest; each part is transcoded from the ingest that holds it, viewers
// play through the web app and straight from the bucket, and the replay and its
// MP4 end up in the bucket too.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { config } from "../../lib/config.ts";
import { MEDIA_KEY } from "../../lib/media/layout.ts";
import { closeConnectionsAfter } from "../support/env.ts";
import { startDistributedPlatform, type DistributedPlatform } from "../support/distributedPlatform.ts";
import { ffprobe, parseMaster, parseMedia, publish, waitFor, type Publisher } from "../support/live.ts";
import pg from "pg";

closeConnectionsAfter();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("roles on separate hosts, media in object storage", () => {
  let p: DistributedPlatform;
  before(async () => {
    p = await startDistributedPlatform({ logDir: process.env.LH_TEST_LOG_DIR!, publicMedia: true });
  });
  after(async () => {
    await p?.stop();
  });

  async function text(url: string): Promise<string> {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    return res.text();
  }

  async function live(slug: string) {
    return waitFor(`${slug} live`, async () => {
      const s = await (await fetch(`${p.baseUrl}/api/live/${slug}`)).json();
      return s.status === "live" && s.hlsUrl ? (s as { sessionId: string; hlsUrl: string }) : null;
    }, 90_000, 250);
  }

  async function partsOf(sessionId: string): Promise<{ ingest_url: string }[]> {
    const client = new pg.Client({ connectionString: p.env.DATABASE_URL });
    await client.connect();
    try {
      return (await client.query("SELECT ingest_url FROM live_parts WHERE session_id = $1 ORDER BY index", [sessionId])).rows;
    } finally {
      await client.end();
    }
  }

  async function replayOf(sessionId: string) {
    const client = new pg.Client({ connectionString: p.env.DATABASE_URL });
    await client.connect();
    try {
      return await waitFor("the replay's MP4", async () => {
        const r = (await client.query("SELECT id, export_status, duration_seconds FROM replays WHERE session_id = $1", [sessionId])).rows[0];
        return r?.export_status === "ready" ? r : null;
      }, 180_000, 500);
    } finally {
      await client.end();
    }
  }

  it("two creators on two ingest hosts: each part is transcoded from its own ingest into the bucket, played from the web app and the bucket, and replayed", async () => {
    const [a, b] = [await p.seed(`dist-a-${Date.now().toString(36)}`, ""), await p.seed(`dist-b-${Date.now().toString(36)}`, "")];
    const pubs: Publisher[] = [publish(a.key, { base: p.ingests[0].rtmpBase }), publish(b.key, { base: p.ingests[1].rtmpBase })];
    try {
      const [la, lb] = await Promise.all([live(a.slug), live(b.slug)]);
      // Each part records the ingest its publisher reached; the workers (whose own INGEST_INTERNAL_URL goes nowhere) read it there.
      assert.deepEqual((await partsOf(la.sessionId)).map((r) => r.ingest_url), [p.ingests[0].internalUrl]);
      assert.deepEqual((await partsOf(lb.sessionId)).map((r) => r.ingest_url), [p.ingests[1].internalUrl]);

      for (const l of [la, lb]) {
        // With MEDIA_PUBLIC_URL the player gets the bucket's URL, and the bucket serves it to anyone.
        assert.ok(l.hlsUrl.startsWith(`${p.s3.endpoint}/${p.s3.bucket}/`), l.hlsUrl);
        const master = parseMaster(await text(l.hlsUrl));
        assert.deepEqual(master.map((v) => v.attrs.NAME), ["720p30", "360p30"]);
        const mediaUrl = l.hlsUrl.replace("master.m3u8", master[0].uri);
        const pl = await waitFor("a few segments", async () => {
          const m = parseMedia(await text(mediaUrl));
          return m.entries.length >= 3 ? m : null;
        }, 60_000, 250);
        const segUrl = mediaUrl.replace("index.m3u8", pl.entries[1].uri);
        const fromBucket = await fetch(segUrl, { headers: { Origin: "https://elsewhere.example" } });
        assert.equal(fromBucket.status, 200);
        assert.equal(fromBucket.headers.get("content-type"), "video/mp2t");
        assert.match(fromBucket.headers.get("cache-control") ?? "", /immutable/);
        assert.equal(fromBucket.headers.get("access-control-allow-origin"), "*");
        const bytes = Buffer.from(await fromBucket.arrayBuffer());
        const playlistHead = await fetch(mediaUrl);
        assert.match(playlistHead.headers.get("cache-control") ?? "", /no-cache/);
        await playlistHead.text();
        // The web app serves the same object from the bucket (for sites without MEDIA_PUBLIC_URL), ranges too.
        const key = segUrl.slice(`${p.s3.endpoint}/${p.s3.bucket}/`.length);
        const viaWeb = await fetch(`${p.baseUrl}/hls/${key}`);
        assert.equal(viaWeb.status, 200);
        assert.deepEqual(Buffer.from(await viaWeb.arrayBuffer()), bytes);
        const ranged = await fetch(`${p.baseUrl}/hls/${key}`, { headers: { Range: "bytes=188-375" } });
        assert.equal(ranged.status, 206);
        assert.deepEqual(Buffer.from(await ranged.arrayBuffer()), bytes.subarray(188, 376));
        // The private segment list is not readable from outside.
        assert.equal((await fetch(`${p.s3.endpoint}/${p.s3.bucket}/${MEDIA_KEY.segmentList(l.sessionId, "720p30")}`)).status, 403);
      }
      await sleep(3000);
    } finally {
      for (const pub of pubs) await pub.stop();
    }

    // Each session ends (no reconnect window) and becomes a replay with its MP4, all in the bucket.
    for (const slug of [a.slug, b.slug]) {
      const s = await waitFor(`${slug} off the air`, async () => {
        const st = await (await fetch(`${p.baseUrl}/api/live/${slug}`)).json();
        return st.status === "offline" ? st : null;
      }, 120_000, 500);
      void s;
    }
    const sessions = await Promise.all([a, b].map(async (c) => {
      const client = new pg.Client({ connectionString: p.env.DATABASE_URL });
      await client.connect();
      const row = (await client.query("SELECT s.id FROM live_sessions s JOIN channels c ON c.id = s.channel_id WHERE c.slug = $1", [c.slug])).rows[0];
      await client.end();
      return row.id as string;
    }));
    for (const sessionId of sessions) {
      const replay = await replayOf(sessionId);
      assert.ok(Number(replay.duration_seconds) > 3, `replay of ${replay.duration_seconds} s`);
      const mp4Size = await p.store.size(MEDIA_KEY.mp4(sessionId));
      assert.ok(mp4Size && mp4Size > 10_000, "the MP4 is in the bucket");
      assert.ok((await p.store.size(MEDIA_KEY.poster(sessionId))) !== null, "the poster is in the bucket");
      assert.ok((await p.store.size(MEDIA_KEY.vodMaster(sessionId))) !== null, "the replay playlist is in the bucket");
      // The MP4 plays from where browsers get it.
      const probe = await ffprobe(`${p.s3.endpoint}/${p.s3.bucket}/${MEDIA_KEY.mp4(sessionId)}`, ["-show_format", "-show_streams"]);
      assert.ok(Number(probe.format.duration) > 3);
      assert.deepEqual(probe.streams.map((s: { codec_type: string }) => s.codec_type).sort(), ["audio", "video"]);
    }

    // No role wrote media to a disk of its own, and their scratch is clean: the bucket holds it all.
    const left = p.hostFiles();
    for (const [label, files] of Object.entries(left)) {
      assert.deepEqual(files.filter((f) => /\.(ts|mp4|jpg|m3u8|json)$/.test(f) && !f.endsWith("capacity.json") && !f.startsWith("spool/")), [], `${label} left media on its own disk: ${files.join(", ")}`);
    }
    assert.equal(config.mediaStore, "local", "the main test stack keeps its own store");
  });
});
