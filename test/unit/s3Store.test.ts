// The S3 store's pure parts: the SDK stays out of roles on the local store, the
// bucket policy's patterns agree with the viewable keys, and S3 refusals that
// mean "full" are told apart from the rest. (The store itself runs against a
// real server in test/integration/mediaStore.test.ts.)
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { describe, it } from "node:test";
import { build } from "esbuild";
import { MEDIA_KEY, PUBLIC_MEDIA_PATTERNS, viewableSession } from "../../lib/media/layout.ts";
import { StorageFullError, asStorageError, isStorageFull } from "../../lib/media/store.ts";

const root = path.resolve(import.meta.dirname, "../..");

describe("S3 store", () => {
  it("is imported by every role without loading the AWS SDK: only dynamic imports of it", async () => {
    const out = await build({
      absWorkingDir: root,
      entryPoints: [path.join(root, "lib/media/store.ts")],
      bundle: true,
      write: false,
      format: "esm",
      platform: "node",
      packages: "external",
      metafile: true,
      logLevel: "silent",
    });
    const imports = Object.values(out.metafile.outputs).flatMap((o) => o.imports);
    const sdk = imports.filter((i) => i.path.startsWith("@aws-sdk/"));
    assert.ok(sdk.some((i) => i.path === "@aws-sdk/client-s3"), "the store does use the SDK");
    assert.deepEqual(sdk.filter((i) => i.kind !== "dynamic-import"), [], "no static import of the SDK");
  });

  it("lets the bucket policy's patterns match every viewable key and no private one", () => {
    // S3 policy wildcards: "*" any run of characters (slashes too), "?" one character.
    const patterns = PUBLIC_MEDIA_PATTERNS.map((p) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`));
    const isPublic = (key: string) => patterns.some((re) => re.test(key));
    const s = randomUUID();
    const viewable = [
      MEDIA_KEY.master(s),
      MEDIA_KEY.mediaPlaylist(s, "720p"),
      MEDIA_KEY.segment(s, "720p", "p3e1-000042.ts"),
      MEDIA_KEY.segment(s, "360p", "s1a2b-000001.ts"),
      MEDIA_KEY.vodMaster(s),
      MEDIA_KEY.vodPlaylist(s, "480p"),
      MEDIA_KEY.mp4(s),
      MEDIA_KEY.poster(s),
      MEDIA_KEY.thumb(s, 12),
    ];
    for (const key of viewable) {
      assert.equal(viewableSession(key), s, `the layout calls ${key} viewable`);
      assert.ok(isPublic(key), `the bucket policy lets browsers GET ${key}`);
    }
    for (const key of [MEDIA_KEY.masterData(s), MEDIA_KEY.segmentList(s, "720p"), `exports/${s}/source.mp4`, `other/${s}.ts`, `live/${s}/replay.mp4.json`]) {
      assert.equal(viewableSession(key), null, key);
      assert.ok(!isPublic(key), `the bucket policy keeps ${key} private`);
    }
  });

  it("takes a quota refusal or a full server for a full store, and nothing else", () => {
    const s3Error = (name: string, status: number) => Object.assign(new Error("UnknownError"), { name, $metadata: { httpStatusCode: status } });
    for (const full of [s3Error("QuotaExceeded", 403), s3Error("InsufficientCapacity", 507), s3Error("XMinioStorageFull", 507), s3Error("Unknown", 507)]) {
      assert.ok(isStorageFull(full), full.name);
      const wrapped = asStorageError(full);
      assert.ok(wrapped instanceof StorageFullError);
      assert.match((wrapped as Error).message, /media storage is full/);
    }
    assert.match((asStorageError(s3Error("QuotaExceeded", 403)) as Error).message, /QuotaExceeded/, "the code is kept when the message says nothing");
    for (const other of [s3Error("AccessDenied", 403), s3Error("NoSuchBucket", 404), s3Error("SlowDown", 503), new Error("socket hang up")]) {
      assert.ok(!isStorageFull(other), other.name);
      assert.equal(asStorageError(other), other);
    }
  });
});
