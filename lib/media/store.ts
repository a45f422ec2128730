// Where media lives: one interface for every writer (live segments and playlists,
// slate, replay playlists, MP4, poster, thumbnails), the web app that serves it
// and the sweeps that delete it. Writers work in a scratch directory of their own
// only for ffmpeg's output, and publish each finished file through the store, so
// no role needs a directory shared with another.
//
// Two providers: a local directory (the default, `npm start`) and S3-compatible
// object storage (MEDIA_STORE=s3, ./s3Store.ts). Keys and their meaning are in
// ./layout.ts; content types and cache headers come from there too.
import { createReadStream } from "node:fs";
import { copyFile, link, mkdir, readFile, readdir, rename, rm, stat, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { createWriteStream } from "node:fs";
import type { Readable } from "node:stream";
import { config } from "../config.ts";
import { S3MediaStore } from "./s3Store.ts";

export interface StoredObject {
  key: string;
  size: number;
}

export interface MediaRead {
  body: Readable;
  /** The object's whole size (not the range's). */
  size: number;
}

export interface MediaStore {
  readonly kind: "local" | "s3";
  /** Publishes a finished local file under `key` (replacing what was there). The file stays; the caller removes its scratch. */
  putFile(key: string, file: string): Promise<void>;
  /** Replaces a small text object: readers see the old or the new, never half. */
  putText(key: string, text: string): Promise<void>;
  getText(key: string): Promise<string | null>;
  /** Size in bytes, or null when there is no such object. */
  size(key: string): Promise<number | null>;
  /** A stream of the object (or of `range`, inclusive), or null when there is no such object. */
  read(key: string, range?: { start: number; end: number }): Promise<MediaRead | null>;
  /** Copies the object into a local file; false when there is no such object. */
  getFile(key: string, file: string): Promise<boolean>;
  /**
   * Where ffmpeg on this host can read the object without copying it first: a local path,
   * or a time-limited URL (valid for a few hours) for remote stores.
   */
  inputUrl(key: string): Promise<string>;
  /** Every object under `prefix/`, at any depth, keys in full, sorted. */
  list(prefix: string): Promise<StoredObject[]>;
  delete(key: string): Promise<void>;
  /** Deletes every object under `prefix/`. */
  deletePrefix(prefix: string): Promise<void>;
}

/** Keys are "/"-separated relative paths of safe characters; anything else is refused. */
const SAFE_KEY = /^(?:[A-Za-z0-9][A-Za-z0-9._-]*)(?:\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

export function assertSafeKey(key: string): void {
  if (!SAFE_KEY.test(key) || key.split("/").some((p) => p === "." || p === "..")) {
    throw new Error(`unsafe media key: ${JSON.stringify(key.slice(0, 80))}`);
  }
}

/**
 * The store (or the disk under it) has no room: a local ENOSPC or quota error, or an
 * S3 quota refusal. Writers wait and retry on it rather than give up: nothing is lost
 * while ingest keeps the source, and the creator is told.
 */
export class StorageFullError extends Error {
  constructor(readonly detail: string) {
    super(`media storage is full: ${detail}`);
    this.name = "StorageFullError";
  }
}

const FULL_CODES = new Set(["ENOSPC", "EDQUOT"]);
/** What ffmpeg (or another program) says when its output's disk is full. */
const FULL_TEXT = /No space left on device|Disk quota exceeded/i;
// The AWS SDK names an S3 error after its code: a bucket or user quota (radosgw,
// MinIO's XMinioAdminBucketQuotaExceeded), or a server out of room (radosgw
// answers 507 InsufficientCapacity when its cluster is full).
const FULL_S3_CODES = new Set(["QuotaExceeded", "InsufficientCapacity", "XMinioStorageFull", "XMinioAdminBucketQuotaExceeded"]);

export function isStorageFull(err: unknown): boolean {
  if (err instanceof StorageFullError) return true;
  const e = err as { code?: string; name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number } } | null;
  return (
    !!e &&
    (FULL_CODES.has(e.code ?? "") ||
      FULL_S3_CODES.has(e.name ?? "") ||
      FULL_S3_CODES.has(e.Code ?? "") ||
      e.$metadata?.httpStatusCode === 507 ||
      FULL_TEXT.test(typeof e.message === "string" ? e.message : ""))
  );
}

/** A storage-full error as StorageFullError; any other error as it is. */
export function asStorageError(err: unknown): unknown {
  if (!isStorageFull(err) || err instanceof StorageFullError) return err;
  const { name, message } = err as Error;
  // An S3 error may carry nothing but its code ("QuotaExceeded") and a generic message.
  return new StorageFullError(name && name !== "Error" && !message.includes(name) ? `${name}: ${message}` : message);
}

export class LocalMediaStore implements MediaStore {
  readonly kind = "local" as const;
  constructor(readonly root: string) {}

  private file(key: string): string {
    assertSafeKey(key);
    return path.join(this.root, ...key.split("/"));
  }

  private tmpBeside(target: string): string {
    return `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  }

  async putFile(key: string, file: string): Promise<void> {
    const target = this.file(key);
    const tmp = this.tmpBeside(target);
    try {
      await mkdir(path.dirname(target), { recursive: true });
      // On one file system a hard link publishes without copying a byte; elsewhere, copy.
      await link(file, tmp).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== "EXDEV" && err.code !== "EPERM" && err.code !== "EMLINK") throw err;
        await copyFile(file, tmp);
      });
      await rename(tmp, target);
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw asStorageError(err);
    }
  }

  async putText(key: string, text: string): Promise<void> {
    const target = this.file(key);
    const tmp = this.tmpBeside(target);
    try {
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(tmp, text);
      await rename(tmp, target);
    } catch (err) {
      await unlink(tmp).catch(() => {});
      throw asStorageError(err);
    }
  }

  async getText(key: string): Promise<string | null> {
    try {
      return await readFile(this.file(key), "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR") return null;
      throw err;
    }
  }

  async size(key: string): Promise<number | null> {
    const file = this.file(key);
    try {
      const s = await stat(file);
      return s.isFile() ? s.size : null;
    } catch {
      return null;
    }
  }

  async read(key: string, range?: { start: number; end: number }): Promise<MediaRead | null> {
    const size = await this.size(key);
    if (size === null) return null;
    return { size, body: createReadStream(this.file(key), range) };
  }

  async getFile(key: string, file: string): Promise<boolean> {
    try {
      await copyFile(this.file(key), file);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw asStorageError(err);
    }
  }

  async inputUrl(key: string): Promise<string> {
    return this.file(key);
  }

  async list(prefix: string): Promise<StoredObject[]> {
    assertSafeKey(prefix);
    const out: StoredObject[] = [];
    const walk = async (key: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(this.file(key), { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        if (e.name.endsWith(".tmp") || !SAFE_KEY.test(e.name)) continue;
        const child = `${key}/${e.name}`;
        if (e.isDirectory()) await walk(child);
        else if (e.isFile()) out.push({ key: child, size: (await stat(this.file(child)).catch(() => ({ size: 0 }))).size });
      }
    };
    await walk(prefix);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(key: string): Promise<void> {
    await rm(this.file(key), { force: true });
  }

  async deletePrefix(prefix: string): Promise<void> {
    await rm(this.file(prefix), { recursive: true, force: true });
  }
}

/** Copies a stored object into a local file through the store's read stream (for stores without a faster way). */
export async function downloadTo(store: MediaStore, key: string, file: string): Promise<boolean> {
  const r = await store.read(key);
  if (!r) return false;
  await pipeline(r.body, createWriteStream(file));
  return true;
}

let store: MediaStore | undefined;

/** This process's media store, as MEDIA_STORE configures it (the S3 client loads on first use). */
export function mediaStore(): MediaStore {
  store ??= config.mediaStore === "s3" ? new S3MediaStore(config.s3) : new LocalMediaStore(path.resolve(config.mediaDir));
  return store;
}
