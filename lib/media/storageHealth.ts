// The media store's state as the dashboards and /metrics see it, in Redis:
// - whether it has room, as the writers last found it: one instance-wide flag that any
//   writer refused for want of room (a full disk, a bucket over its quota) sets, any
//   write that gets through clears, and that expires by itself when no writer reports
//   (a writer that died cannot leave it set). The dashboard warns the creators who are
//   live, and the admin page says since when;
// - what it holds, as the last storage sweep measured it (workers/storageSweep.ts).
import { REDIS_KEY } from "../redisKeys.ts";
import { readJson, redis } from "../redis.ts";

export interface StorageFull {
  /** Epoch ms of the first refusal of this episode. */
  since: number;
  /** The store's own words (no secrets: a path or an S3 error code). */
  detail: string;
}

/** Writers keep reporting while they are refused; without reports the flag goes. */
const FLAG_TTL_SECONDS = 60;

/** The creator-facing sentence while new media cannot be stored. */
export const STORAGE_FULL_MESSAGE =
  "The media storage is full, so new video cannot be saved and viewers see the stream stall. Nothing is lost: it continues from where it stopped as soon as space is freed (delete old replays, or give the server more disk).";

/** Records a refusal; true when this starts an episode (the caller logs it once). */
export async function reportStorageFull(detail: string): Promise<boolean> {
  const current = await storageFull();
  const value: StorageFull = { since: current?.since ?? Date.now(), detail: detail.slice(0, 200) };
  await redis().set(REDIS_KEY.storageFull(), JSON.stringify(value), "EX", FLAG_TTL_SECONDS);
  return current === null;
}

/** A write got through: true when this ends an episode. */
export async function reportStorageOk(): Promise<boolean> {
  return (await redis().del(REDIS_KEY.storageFull())) > 0;
}

export function storageFull(): Promise<StorageFull | null> {
  return readJson<StorageFull>(REDIS_KEY.storageFull());
}

export interface StorageUsage {
  /** Bytes in the store: replays kept plus live media. */
  bytes: number;
  liveBytes: number;
  replays: number;
  /** MEDIA_BUDGET_GB in bytes; 0 for none. */
  budgetBytes: number;
  /** When it was measured (epoch ms). */
  at: number;
}

export async function writeStorageUsage(u: StorageUsage): Promise<void> {
  await redis().set(REDIS_KEY.storageUsage(), JSON.stringify(u));
}

export function readStorageUsage(): Promise<StorageUsage | null> {
  return readJson<StorageUsage>(REDIS_KEY.storageUsage());
}
