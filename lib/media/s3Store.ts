// S3-compatible object storage for media (MEDIA_STORE=s3): AWS S3, Ceph radosgw
// (what the tests run against), MinIO, Garage, R2… Path-style by default, as most
// self-hosted servers want. Every object is uploaded with the content type and
// cache header of ./layout.ts, so a CDN or browser in front of the bucket caches
// live playlists never and everything else for good.
//
// The AWS SDK is loaded on first use (a dynamic import, cached): every role
// imports ./store.ts, and those on the local store must not carry the SDK.
import { createReadStream, createWriteStream } from "node:fs";
import { readFile, stat, unlink } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { S3Client } from "@aws-sdk/client-s3";
import { PUBLIC_MEDIA_PATTERNS, cacheControlFor, contentTypeFor } from "./layout.ts";
import { asStorageError, assertSafeKey, type MediaRead, type MediaStore, type StoredObject } from "./store.ts";

export interface S3Settings {
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
  prefix: string;
}

type Sdk = typeof import("@aws-sdk/client-s3");
type Storage = typeof import("@aws-sdk/lib-storage");

let sdkLoad: Promise<{ sdk: Sdk; storage: Storage }> | undefined;
function loadSdk(): Promise<{ sdk: Sdk; storage: Storage }> {
  sdkLoad ??= Promise.all([import("@aws-sdk/client-s3"), import("@aws-sdk/lib-storage")]).then(([sdk, storage]) => ({ sdk, storage }));
  return sdkLoad;
}

/** Files up to this size go up in one PUT from memory (retryable); larger ones in parts. */
const SINGLE_PUT_MAX = 16 * 1024 * 1024;
/** S3 allows 10 000 parts; a few GB of replay MP4 at 16 MB a part stays far below. */
const MIN_PART_SIZE = 16 * 1024 * 1024;
const MAX_PARTS = 9000;
/** Parts in flight at once (each held in memory). */
const PART_QUEUE = 4;
/** DeleteObjects takes at most 1000 keys a call. */
const DELETE_BATCH = 1000;

/** The S3 error names that mean "no such object" (GET/HEAD answer 404 with these). */
const MISSING = new Set(["NoSuchKey", "NotFound", "NoSuchObject"]);

function isMissing(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } } | null;
  return !!e && (MISSING.has(e.name ?? "") || e.$metadata?.httpStatusCode === 404);
}

export class S3MediaStore implements MediaStore {
  readonly kind = "s3" as const;
  private client: Promise<{ s3: S3Client; sdk: Sdk; storage: Storage }> | undefined;
  private readonly agents = {
    // Keep-alive: a live transcode puts a segment and a playlist every couple of seconds.
    httpAgent: new http.Agent({ keepAlive: true, maxSockets: 64 }),
    httpsAgent: new https.Agent({ keepAlive: true, maxSockets: 64 }),
  };

  constructor(readonly settings: S3Settings) {}

  private s3(): Promise<{ s3: S3Client; sdk: Sdk; storage: Storage }> {
    this.client ??= loadSdk().then(({ sdk, storage }) => {
      const s = this.settings;
      if (!s.bucket) throw new Error("MEDIA_STORE=s3 needs S3_BUCKET");
      const s3 = new sdk.S3Client({
        ...(s.endpoint ? { endpoint: s.endpoint } : {}),
        region: s.region,
        forcePathStyle: s.forcePathStyle,
        // Without keys the SDK's own chain applies (AWS_* variables, an instance role).
        ...(s.accessKeyId ? { credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey } } : {}),
        // Checksums only where S3 requires them (DeleteObjects): many self-hosted
        // servers refuse the newer default (aws-chunked bodies with trailing CRCs).
        requestChecksumCalculation: "WHEN_REQUIRED",
        responseChecksumValidation: "WHEN_REQUIRED",
        requestHandler: { ...this.agents, connectionTimeout: 10_000, requestTimeout: 120_000 },
      });
      return { s3, sdk, storage };
    });
    return this.client;
  }

  /** The object name in the bucket. */
  private name(key: string): string {
    assertSafeKey(key);
    return this.settings.prefix ? `${this.settings.prefix}/${key}` : key;
  }

  private headers(key: string) {
    return { ContentType: contentTypeFor(key), CacheControl: cacheControlFor(key) };
  }

  async putFile(key: string, file: string): Promise<void> {
    const Key = this.name(key);
    const { s3, sdk, storage } = await this.s3();
    try {
      const { size } = await stat(file);
      if (size <= SINGLE_PUT_MAX) {
        await s3.send(new sdk.PutObjectCommand({ Bucket: this.settings.bucket, Key, Body: await readFile(file), ...this.headers(key) }));
        return;
      }
      // lib-storage buffers each part, so a failed part is retried without rereading the file.
      const upload = new storage.Upload({
        client: s3,
        params: { Bucket: this.settings.bucket, Key, Body: createReadStream(file), ContentLength: size, ...this.headers(key) },
        partSize: Math.max(MIN_PART_SIZE, Math.ceil(size / MAX_PARTS)),
        queueSize: PART_QUEUE,
        leavePartsOnError: false,
      });
      await upload.done();
    } catch (err) {
      throw asStorageError(err);
    }
  }

  async putText(key: string, text: string): Promise<void> {
    const Key = this.name(key);
    const { s3, sdk } = await this.s3();
    try {
      // One PUT replaces an object whole: readers see the old or the new one.
      await s3.send(new sdk.PutObjectCommand({ Bucket: this.settings.bucket, Key, Body: text, ...this.headers(key) }));
    } catch (err) {
      throw asStorageError(err);
    }
  }

  async getText(key: string): Promise<string | null> {
    const Key = this.name(key);
    const { s3, sdk } = await this.s3();
    try {
      const res = await s3.send(new sdk.GetObjectCommand({ Bucket: this.settings.bucket, Key }));
      return (await res.Body?.transformToString("utf8")) ?? "";
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async size(key: string): Promise<number | null> {
    const Key = this.name(key);
    const { s3, sdk } = await this.s3();
    try {
      const res = await s3.send(new sdk.HeadObjectCommand({ Bucket: this.settings.bucket, Key }));
      return res.ContentLength ?? 0;
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async read(key: string, range?: { start: number; end: number }): Promise<MediaRead | null> {
    const Key = this.name(key);
    const { s3, sdk } = await this.s3();
    try {
      const res = await s3.send(
        new sdk.GetObjectCommand({ Bucket: this.settings.bucket, Key, ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
      );
      // "bytes 0-99/1234": the whole object's size is after the slash.
      const total = /\/(\d+)$/.exec(res.ContentRange ?? "")?.[1];
      return { body: res.Body as Readable, size: total !== undefined ? Number(total) : (res.ContentLength ?? 0) };
    } catch (err) {
      if (isMissing(err)) return null;
      if ((err as { name?: string }).name === "InvalidRange" && range) {
        // A range past the end, as a local file answers it: nothing, and the size.
        const size = await this.size(key);
        if (size === null) return null;
        return { body: Readable.from([]), size };
      }
      throw err;
    }
  }

  async getFile(key: string, file: string): Promise<boolean> {
    const r = await this.read(key);
    if (!r) return false;
    try {
      await pipeline(r.body, createWriteStream(file));
      return true;
    } catch (err) {
      await unlink(file).catch(() => {});
      throw asStorageError(err);
    }
  }

  async list(prefix: string): Promise<StoredObject[]> {
    const base = `${this.name(prefix)}/`;
    const strip = this.settings.prefix.length ? this.settings.prefix.length + 1 : 0;
    const { s3, sdk } = await this.s3();
    const out: StoredObject[] = [];
    let token: string | undefined;
    do {
      const res = await s3.send(new sdk.ListObjectsV2Command({ Bucket: this.settings.bucket, Prefix: base, ContinuationToken: token }));
      for (const o of res.Contents ?? []) if (o.Key) out.push({ key: o.Key.slice(strip), size: o.Size ?? 0 });
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    const Key = this.name(key);
    const { s3, sdk } = await this.s3();
    // S3 answers 204 whether or not the object existed.
    await s3.send(new sdk.DeleteObjectCommand({ Bucket: this.settings.bucket, Key }));
  }

  async deletePrefix(prefix: string): Promise<void> {
    const keys = (await this.list(prefix)).map((o) => this.name(o.key));
    const { s3, sdk } = await this.s3();
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      const res = await s3.send(
        new sdk.DeleteObjectsCommand({ Bucket: this.settings.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
      );
      const failed = (res.Errors ?? []).filter((e) => e.Code !== "NoSuchKey");
      if (failed.length) throw new Error(`could not delete ${failed.length} of ${batch.length} objects under ${prefix}/ (${failed[0].Key}: ${failed[0].Code} ${failed[0].Message ?? ""})`);
    }
  }

  /** Where ffmpeg can read the object without copying it first: a presigned GET, valid for a few hours. */
  async inputUrl(key: string, expiresSeconds = 6 * 3600): Promise<string> {
    const Key = this.name(key);
    const [{ s3, sdk }, { getSignedUrl }] = await Promise.all([this.s3(), import("@aws-sdk/s3-request-presigner")]);
    return getSignedUrl(s3, new sdk.GetObjectCommand({ Bucket: this.settings.bucket, Key }), { expiresIn: expiresSeconds });
  }

  /** Creates the bucket when it does not exist (an operator may have made it, with rights we lack). */
  async ensureBucket(): Promise<void> {
    const { s3, sdk } = await this.s3();
    try {
      await s3.send(new sdk.HeadBucketCommand({ Bucket: this.settings.bucket }));
      return;
    } catch (err) {
      if (!isMissing(err) && (err as { name?: string }).name !== "NoSuchBucket") throw err;
    }
    try {
      await s3.send(new sdk.CreateBucketCommand({ Bucket: this.settings.bucket }));
    } catch (err) {
      // Someone else made it meanwhile.
      if ((err as { name?: string }).name !== "BucketAlreadyOwnedByYou") throw err;
    }
  }

  /**
   * For MEDIA_PUBLIC_URL pointing at the bucket: anyone may GET what viewers may
   * fetch (playlists, segments, the replay MP4 and pictures under live/; never the
   * segment lists and master data, index.json and master.json), and pages on any
   * origin may read it with Range, seeing its length and range (hls.js, seeking
   * in the MP4). Replaces the bucket's policy and CORS rules.
   */
  async allowPublicMediaReads(): Promise<void> {
    const { s3, sdk } = await this.s3();
    const bucket = this.settings.bucket;
    const policy = {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "LivehousePublicMedia",
          Effect: "Allow",
          Principal: "*",
          Action: ["s3:GetObject"],
          Resource: PUBLIC_MEDIA_PATTERNS.map((p) => `arn:aws:s3:::${bucket}/${this.settings.prefix ? `${this.settings.prefix}/` : ""}${p}`),
        },
      ],
    };
    await s3.send(new sdk.PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(policy) }));
    await s3.send(
      new sdk.PutBucketCorsCommand({
        Bucket: bucket,
        CORSConfiguration: {
          CORSRules: [
            {
              AllowedOrigins: ["*"],
              AllowedMethods: ["GET", "HEAD"],
              AllowedHeaders: ["Range"],
              ExposeHeaders: ["Content-Length", "Content-Range", "Accept-Ranges"],
              MaxAgeSeconds: 3600,
            },
          ],
        },
      }),
    );
  }

  /** Closes the kept-alive connections (a process that is done with the store). */
  close(): void {
    void this.client?.then(({ s3 }) => s3.destroy()).catch(() => {});
    this.agents.httpAgent.destroy();
    this.agents.httpsAgent.destroy();
  }
}
