// Where media lives. Everything that reads or writes playlists, segments and
// replays goes through this interface; a local directory is the first provider
// (workers on other hosts mount the same directory). An object-store provider
// would implement the same methods.
import { createReadStream, type ReadStream } from "node:fs";
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { config } from "../config.ts";

export interface MediaStore {
  /** A local directory path where ffmpeg may write files under `key` directly. */
  localDir(key: string): Promise<string>;
  /** Replaces a small text file atomically: readers see the old or the new, never half. */
  writeTextAtomic(key: string, text: string): Promise<void>;
  readText(key: string): Promise<string | null>;
  exists(key: string): Promise<boolean>;
  size(key: string): Promise<number | null>;
  openRead(key: string, range?: { start: number; end: number }): ReadStream;
  list(prefix: string): Promise<string[]>;
  removePrefix(prefix: string): Promise<void>;
}

/** Keys are "/"-separated relative paths of safe characters; anything else is refused. */
const SAFE_KEY = /^(?:[A-Za-z0-9][A-Za-z0-9._-]*)(?:\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

export function assertSafeKey(key: string): void {
  if (!SAFE_KEY.test(key) || key.split("/").some((p) => p === "." || p === "..")) {
    throw new Error(`unsafe media key: ${JSON.stringify(key.slice(0, 80))}`);
  }
}

export class LocalMediaStore implements MediaStore {
  constructor(readonly root: string) {}

  private file(key: string): string {
    assertSafeKey(key);
    return path.join(this.root, ...key.split("/"));
  }

  async localDir(key: string): Promise<string> {
    const dir = this.file(key);
    await mkdir(dir, { recursive: true });
    return dir;
  }

  async writeTextAtomic(key: string, text: string): Promise<void> {
    const target = this.file(key);
    await mkdir(path.dirname(target), { recursive: true });
    const tmp = `${target}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(tmp, text);
    await rename(tmp, target);
  }

  async readText(key: string): Promise<string | null> {
    try {
      return await readFile(this.file(key), "utf8");
    } catch {
      return null;
    }
  }

  async exists(key: string): Promise<boolean> {
    return (await this.size(key)) !== null;
  }

  async size(key: string): Promise<number | null> {
    try {
      const s = await stat(this.file(key));
      return s.isFile() ? s.size : null;
    } catch {
      return null;
    }
  }

  openRead(key: string, range?: { start: number; end: number }): ReadStream {
    return createReadStream(this.file(key), range);
  }

  async list(prefix: string): Promise<string[]> {
    try {
      return (await readdir(this.file(prefix))).sort();
    } catch {
      return [];
    }
  }

  async removePrefix(prefix: string): Promise<void> {
    await rm(this.file(prefix), { recursive: true, force: true });
  }
}

let store: MediaStore | undefined;
export function mediaStore(): MediaStore {
  store ??= new LocalMediaStore(path.resolve(config.mediaDir));
  return store;
}
