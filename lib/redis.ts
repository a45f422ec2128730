import { Redis } from "ioredis";
import { config } from "./config.ts";

const globalForRedis = globalThis as unknown as { livehouseRedis?: Redis };

export function redis(): Redis {
  if (!globalForRedis.livehouseRedis) {
    globalForRedis.livehouseRedis = new Redis(config.redisUrl, {
      keyPrefix: config.redisPrefix,
      maxRetriesPerRequest: 2,
      lazyConnect: false,
    });
  }
  return globalForRedis.livehouseRedis;
}

export async function disconnectRedis(): Promise<void> {
  await globalForRedis.livehouseRedis?.quit().catch(() => {});
  globalForRedis.livehouseRedis = undefined;
}

/** A JSON value stored under `key`, or null when there is none (or it does not parse). */
export async function readJson<T>(key: string): Promise<T | null> {
  const raw = await redis().get(key);
  if (!raw) return null;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return null;
  }
}
