// The media store contract, run against both stores: the local directory and
// S3 on a real server (Ceph radosgw, started by the test stack: scripts/testS3.ts).
// Then what only a bucket has: stored headers, the public-read policy and CORS
// for MEDIA_PUBLIC_URL, presigned reads, key prefixes, and a full bucket.
import assert from "node:assert/strict";
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { DeleteBucketCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { MEDIA_KEY, cacheControlFor, contentTypeFor } from "../../lib/media/layout.ts";
import { S3MediaStore, type S3Settings } from "../../lib/media/s3Store.ts";
import { LocalMediaStore, StorageFullError, isStorageFull, type MediaStore } from "../../lib/media/store.ts";
import { waitUntil } from "../../scripts/ports.ts";
import { testS3Admin, testS3Settings } from "../support/s3.ts";

const scratch = mkdtempSync(path.join(os.tmpdir(), "lh-media-store-test-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

async function bytes(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

function scratchFile(content: Buffer): string {
  const file = path.join(scratch, `f-${randomUUID()}`);
  writeFileSync(file, content);
  return file;
}

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** Runs `work` on every item, `n` at a time. */
async function inParallel<T>(items: T[], n: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
}

function sdkClient(s: S3Settings): S3Client {
  return new S3Client({ endpoint: s.endpoint, region: s.region, forcePathStyle: true, credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey } });
}

/** Empties a test bucket and removes it. */
async function dropBucket(s: S3Settings): Promise<void> {
  const client = sdkClient(s);
  const all = new S3MediaStore({ ...s, prefix: "" });
  try {
    const listed = await client.send(new ListObjectsV2Command({ Bucket: s.bucket }));
    const tops = new Set((listed.Contents ?? []).map((o) => o.Key!.split("/")[0]));
    for (const top of tops) await all.deletePrefix(top);
    await client.send(new DeleteBucketCommand({ Bucket: s.bucket }));
  } finally {
    all.close();
    client.destroy();
  }
}

const UNSAFE_KEYS = ["../x", "a/../b", "a/./b", "/abs", "a//b", "a/", "", "a b", ".hidden", "a\\b", "%2e%2e/x", "a/\u00e9"];

function contract(name: string, make: () => Promise<{ store: MediaStore; cleanup(): Promise<void> }>): void {
  describe(`media store contract: ${name}`, () => {
    let store: MediaStore;
    let cleanup: () => Promise<void>;
    before(async () => ({ store, cleanup } = await make()));
    after(() => cleanup());

    it("putText replaces a text object and getText reads the newest", async () => {
      const key = "text/live/index.m3u8";
      await store.putText(key, "#EXTM3U\n#one\n");
      assert.equal(await store.getText(key), "#EXTM3U\n#one\n");
      await store.putText(key, "#EXTM3U\n#two ü\n");
      assert.equal(await store.getText(key), "#EXTM3U\n#two ü\n");
      assert.equal(await store.size(key), Buffer.byteLength("#EXTM3U\n#two ü\n"));
    });

    it("putFile publishes a file, leaves the source, and read serves it whole and by range with the whole size", async () => {
      const content = randomBytes(100_000);
      const file = scratchFile(content);
      const key = "files/seg-000001.ts";
      await store.putFile(key, file);
      assert.ok(existsSync(file), "the caller's scratch file stays");
      assert.equal(await store.size(key), content.length);
      const whole = await store.read(key);
      assert.ok(whole);
      assert.equal(whole.size, content.length);
      assert.deepEqual(await bytes(whole.body), content);
      for (const [start, end] of [[0, 0], [1000, 1999], [40_000, 70_123], [99_999, 99_999]]) {
        const part = await store.read(key, { start, end });
        assert.ok(part, `range ${start}-${end}`);
        assert.equal(part.size, content.length, `range ${start}-${end}: the object's whole size`);
        assert.deepEqual(await bytes(part.body), content.subarray(start, end + 1), `range ${start}-${end}`);
      }
      // Publishing again replaces it.
      const second = randomBytes(5000);
      await store.putFile(key, scratchFile(second));
      assert.equal(await store.size(key), 5000);
      assert.deepEqual(await bytes((await store.read(key))!.body), second);
    });

    it("getFile copies an object into a local file", async () => {
      const content = randomBytes(70_000);
      await store.putFile("get/poster.jpg", scratchFile(content));
      const target = path.join(scratch, `got-${randomUUID()}`);
      assert.equal(await store.getFile("get/poster.jpg", target), true);
      assert.deepEqual(readFileSync(target), content);
    });

    it("list finds every object under a prefix at any depth, sorted, and nothing beside it", async () => {
      const keys = { "nest/a/x.ts": 3, "nest/a/b/y.ts": 5, "nest/a/b/c/z.jpg": 7, "nest/ab/no.ts": 1, "nest/a.ts": 2 };
      for (const [k, n] of Object.entries(keys)) await store.putText(k, "x".repeat(n));
      assert.deepEqual(await store.list("nest/a"), [
        { key: "nest/a/b/c/z.jpg", size: 7 },
        { key: "nest/a/b/y.ts", size: 5 },
        { key: "nest/a/x.ts", size: 3 },
      ]);
      assert.equal((await store.list("nest")).length, 5);
      assert.deepEqual(await store.list("nest/missing"), []);
    });

    it("lists and deletes more than 1000 objects under one prefix (pagination, batches)", { timeout: 300_000 }, async () => {
      const keys = Array.from({ length: 1100 }, (_, i) => `many/r${i % 3}/s-${String(i).padStart(6, "0")}.ts`);
      await inParallel(keys, 16, (k) => store.putText(k, k));
      await store.putText("many-sibling/keep.ts", "keep");
      const listed = await store.list("many");
      assert.equal(listed.length, 1100);
      assert.deepEqual(listed.map((o) => o.key), [...keys].sort());
      await store.deletePrefix("many");
      assert.deepEqual(await store.list("many"), []);
      assert.equal(await store.getText("many-sibling/keep.ts"), "keep", "a key that only starts the same stays");
    });

    it("delete removes one object; deleting a missing one is no error", async () => {
      await store.putText("del/a.ts", "a");
      await store.putText("del/b.ts", "b");
      await store.delete("del/a.ts");
      assert.equal(await store.getText("del/a.ts"), null);
      assert.equal(await store.getText("del/b.ts"), "b");
      await store.delete("del/a.ts");
      await store.delete("del/never/there.ts");
      await store.deletePrefix("del/never");
    });

    it("missing keys answer null or false, never throw", async () => {
      assert.equal(await store.getText("nothing/here.m3u8"), null);
      assert.equal(await store.size("nothing/here.ts"), null);
      assert.equal(await store.read("nothing/here.ts"), null);
      assert.equal(await store.read("nothing/here.ts", { start: 0, end: 10 }), null);
      const target = path.join(scratch, `missing-${randomUUID()}`);
      assert.equal(await store.getFile("nothing/here.mp4", target), false);
      assert.equal(existsSync(target), false);
    });

    it("refuses unsafe keys in every operation", async () => {
      const file = scratchFile(Buffer.from("x"));
      for (const key of UNSAFE_KEYS) {
        const ops: [string, () => Promise<unknown>][] = [
          ["putFile", () => store.putFile(key, file)],
          ["putText", () => store.putText(key, "x")],
          ["getText", () => store.getText(key)],
          ["size", () => store.size(key)],
          ["read", () => store.read(key)],
          ["getFile", () => store.getFile(key, path.join(scratch, "never"))],
          ["list", () => store.list(key)],
          ["delete", () => store.delete(key)],
          ["deletePrefix", () => store.deletePrefix(key)],
        ];
        for (const [op, call] of ops) await assert.rejects(call(), /unsafe media key/, `${op}(${JSON.stringify(key)})`);
      }
    });

    it("a 60 MB file (the replay MP4's path: multipart on S3) reads back byte for byte", { timeout: 300_000 }, async () => {
      const content = randomBytes(60 * 1024 * 1024);
      const key = MEDIA_KEY.mp4(randomUUID());
      await store.putFile(key, scratchFile(content));
      assert.equal(await store.size(key), content.length);
      const target = path.join(scratch, `mp4-${randomUUID()}`);
      assert.equal(await store.getFile(key, target), true);
      assert.equal(sha256(readFileSync(target)), sha256(content));
      const tail = await store.read(key, { start: content.length - 1000, end: content.length - 1 });
      assert.deepEqual(await bytes(tail!.body), content.subarray(content.length - 1000));
      rmSync(target);
    });
  });
}

contract("local directory", async () => {
  const root = mkdtempSync(path.join(scratch, "local-"));
  return { store: new LocalMediaStore(root), cleanup: async () => rmSync(root, { recursive: true, force: true }) };
});

const s3Settings = testS3Settings({ prefix: "lh/instance-1" });
contract("S3 (radosgw)", async () => {
  const store = new S3MediaStore(s3Settings);
  await store.ensureBucket();
  return {
    store,
    cleanup: async () => {
      store.close();
      await dropBucket(s3Settings);
    },
  };
});

describe("local store: headers", () => {
  it("has no stored headers; the web app serves each key's from the layout", () => {
    assert.equal(contentTypeFor("live/x/720p/index.m3u8"), "application/vnd.apple.mpegurl");
    assert.equal(cacheControlFor("live/x/720p/index.m3u8"), "no-cache, no-store, must-revalidate");
    assert.equal(contentTypeFor("live/x/720p/p1e1-000001.ts"), "video/mp2t");
    assert.equal(cacheControlFor("live/x/720p/p1e1-000001.ts"), "public, max-age=31536000, immutable");
    assert.equal(contentTypeFor("live/x/replay.mp4"), "video/mp4");
    assert.equal(contentTypeFor("live/x/poster.jpg"), "image/jpeg");
  });
});

describe("S3 store: what only a bucket has", () => {
  const settings = testS3Settings({ prefix: "media" });
  const store = new S3MediaStore(settings);
  const client = sdkClient(settings);
  const session = randomUUID();
  const viewable = {
    master: MEDIA_KEY.master(session),
    playlist: MEDIA_KEY.mediaPlaylist(session, "720p"),
    segment: MEDIA_KEY.segment(session, "720p", "p1e2-000003.ts"),
    slate: MEDIA_KEY.segment(session, "720p", "s1a2b3-000001.ts"),
    vod: MEDIA_KEY.vodPlaylist(session, "720p"),
    mp4: MEDIA_KEY.mp4(session),
    poster: MEDIA_KEY.poster(session),
    thumb: MEDIA_KEY.thumb(session, 7),
  };
  const hidden = { segmentList: MEDIA_KEY.segmentList(session, "720p"), masterData: MEDIA_KEY.masterData(session), outside: "other/p1e2-000003.ts" };
  const url = (key: string) => `${settings.endpoint}/${settings.bucket}/${settings.prefix}/${key}`;

  before(async () => {
    await store.ensureBucket();
    await store.ensureBucket(); // again: no error when it exists
    for (const key of [...Object.values(viewable), ...Object.values(hidden)]) await store.putText(key, `content of ${key}`);
    await store.allowPublicMediaReads();
  });
  after(async () => {
    store.close();
    client.destroy();
    await dropBucket(settings);
  });

  it("stores every object with its content type and cache header", async () => {
    for (const key of [viewable.master, viewable.segment, viewable.mp4, viewable.poster, hidden.segmentList]) {
      const head = await client.send(new HeadObjectCommand({ Bucket: settings.bucket, Key: `${settings.prefix}/${key}` }));
      assert.equal(head.ContentType, contentTypeFor(key), key);
      assert.equal(head.CacheControl, cacheControlFor(key), key);
    }
    // And a large (multipart) upload too.
    const key = MEDIA_KEY.mp4(randomUUID());
    await store.putFile(key, scratchFile(randomBytes(20 * 1024 * 1024)));
    const head = await client.send(new HeadObjectCommand({ Bucket: settings.bucket, Key: `${settings.prefix}/${key}` }));
    assert.equal(head.ContentType, "video/mp4");
    assert.equal(head.CacheControl, "public, max-age=31536000, immutable");
    assert.match(head.ETag ?? "", /-\d+"$/, "uploaded in parts");
  });

  it("keeps its objects under its key prefix, apart from another instance's", async () => {
    const raw = await client.send(new ListObjectsV2Command({ Bucket: settings.bucket, Prefix: `${settings.prefix}/live/${session}/` }));
    assert.ok((raw.Contents ?? []).some((o) => o.Key === `${settings.prefix}/${viewable.segment}`));
    const other = new S3MediaStore({ ...settings, prefix: "media-other" });
    try {
      assert.deepEqual(await other.list("live"), []);
      assert.equal(await other.getText(viewable.segment), null);
    } finally {
      other.close();
    }
  });

  it("lets anyone GET the keys viewers fetch, and nothing else", async () => {
    for (const [what, key] of Object.entries(viewable)) {
      const res = await fetch(url(key));
      assert.equal(res.status, 200, `${what}: ${key}`);
      assert.equal(await res.text(), `content of ${key}`);
      assert.equal(res.headers.get("cache-control"), cacheControlFor(key), what);
    }
    const ranged = await fetch(url(viewable.mp4), { headers: { Range: "bytes=3-9" } });
    assert.equal(ranged.status, 206);
    assert.equal(await ranged.text(), `content of ${viewable.mp4}`.slice(3, 10));
    for (const [what, key] of Object.entries(hidden)) {
      const res = await fetch(url(key));
      await res.body?.cancel();
      assert.equal(res.status, 403, `${what} must stay private: ${key}`);
    }
    const listing = await fetch(`${settings.endpoint}/${settings.bucket}/?list-type=2`);
    await listing.body?.cancel();
    assert.equal(listing.status, 403, "no anonymous listing");
    const put = await fetch(url(MEDIA_KEY.segment(session, "720p", "p9e9-000001.ts")), { method: "PUT", body: "x" });
    await put.body?.cancel();
    assert.equal(put.status, 403, "no anonymous writes");
  });

  it("answers a browser's CORS preflight for a ranged GET, and exposes length and range", async () => {
    const pre = await fetch(url(viewable.segment), {
      method: "OPTIONS",
      headers: { Origin: "https://player.example", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "range" },
    });
    await pre.body?.cancel();
    assert.equal(pre.status, 200);
    assert.match(pre.headers.get("access-control-allow-origin") ?? "", /^(\*|https:\/\/player\.example)$/);
    assert.match(pre.headers.get("access-control-allow-methods") ?? "", /GET/);
    assert.match(pre.headers.get("access-control-allow-headers") ?? "", /range/i);
    const get = await fetch(url(viewable.segment), { headers: { Origin: "https://player.example", Range: "bytes=0-3" } });
    await get.body?.cancel();
    assert.equal(get.status, 206);
    assert.ok(get.headers.get("access-control-allow-origin"));
    const exposed = (get.headers.get("access-control-expose-headers") ?? "").toLowerCase();
    assert.ok(exposed.includes("content-length") && exposed.includes("content-range"), exposed);
    const putPre = await fetch(url(viewable.segment), {
      method: "OPTIONS",
      headers: { Origin: "https://player.example", "Access-Control-Request-Method": "PUT" },
    });
    await putPre.body?.cancel();
    assert.notEqual(putPre.status, 200, "no cross-origin writes");
  });

  it("hands ffmpeg a presigned URL that reads without credentials", async () => {
    const content = randomBytes(50_000);
    // Not a viewable key, so only the signature lets it through.
    const key = `exports/${randomUUID()}/source.mp4`;
    await store.putFile(key, scratchFile(content));
    const signed = await store.inputUrl(key);
    const res = await fetch(signed, { headers: { Range: "bytes=100-199" } });
    assert.equal(res.status, 206);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), content.subarray(100, 200));
    const unsigned = await fetch(signed.split("?")[0]);
    await unsigned.body?.cancel();
    assert.equal(unsigned.status, 403, "without the signature it is refused");
  });
});

describe("S3 store: a full bucket", () => {
  const settings = testS3Settings();
  const store = new S3MediaStore(settings);
  const QUOTA = 1_000_000;
  before(async () => {
    await store.ensureBucket();
    await testS3Admin(["quota", "set", "--quota-scope=bucket", `--bucket=${settings.bucket}`, `--max-size=${QUOTA}`]);
    await testS3Admin(["quota", "enable", "--quota-scope=bucket", `--bucket=${settings.bucket}`]);
  });
  after(async () => {
    store.close();
    await dropBucket(settings);
  });

  it("refuses writes with StorageFullError, keeps what it holds, and takes writes again once space is freed", { timeout: 180_000 }, async () => {
    const segment = randomBytes(300_000);
    const file = scratchFile(segment);
    const session = randomUUID();
    const written: string[] = [];
    let refusal: unknown;
    // radosgw counts each write against the quota as it is made: the fourth 300 kB segment
    // is over 1 MB. A few more tries cover a slower count.
    for (let i = 0; i < 8 && !refusal; i++) {
      const key = MEDIA_KEY.segment(session, "720p", `p1e1-${String(i).padStart(6, "0")}.ts`);
      try {
        await store.putFile(key, file);
        written.push(key);
      } catch (err) {
        refusal = err;
      }
    }
    assert.ok(refusal, `the quota of ${QUOTA} bytes never refused a write (${written.length} × 300 kB written)`);
    assert.ok(refusal instanceof StorageFullError, `refused with ${(refusal as Error).name}: ${(refusal as Error).message}`);
    assert.ok(isStorageFull(refusal));
    assert.ok(written.length >= 1 && written.length <= 4, `${written.length} segments went in under a 1 MB quota`);
    await assert.rejects(store.putText(MEDIA_KEY.mediaPlaylist(session, "720p"), "#EXTM3U\n".repeat(60_000)), StorageFullError);
    await assert.rejects(store.putFile(MEDIA_KEY.mp4(session), scratchFile(randomBytes(20 * 1024 * 1024))), StorageFullError, "a multipart upload too");
    for (const key of written) assert.deepEqual(await bytes((await store.read(key))!.body), segment, `${key} intact`);
    assert.deepEqual(await store.list(`live/${session}/720p`).then((l) => l.map((o) => o.key)), written, "no partial objects left");

    await store.delete(written[0]);
    await waitUntil(
      "a write after space was freed",
      async () => {
        try {
          await store.putFile(MEDIA_KEY.segment(session, "720p", "p1e1-000100.ts"), file);
          return true;
        } catch (err) {
          if (!isStorageFull(err)) throw err;
          return (err as Error).message;
        }
      },
      { seconds: 120, everyMs: 1000 },
    );
  });
});
