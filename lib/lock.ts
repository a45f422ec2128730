// A short Redis lock, for critical sections shared across processes and hosts.
import { randomBytes } from "node:crypto";
import { REDIS_KEY } from "./redisKeys.ts";
import { redis } from "./redis.ts";

const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

export async function withLock<T>(name: string, fn: () => Promise<T>, { ttlMs = 10_000, waitMs = 15_000 } = {}): Promise<T> {
  const key = REDIS_KEY.lock(name);
  const token = randomBytes(12).toString("hex");
  const until = Date.now() + waitMs;
  while ((await redis().set(key, token, "PX", ttlMs, "NX")) !== "OK") {
    if (Date.now() > until) throw new Error(`lock ${name} busy for ${waitMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  try {
    return await fn();
  } finally {
    await redis().eval(RELEASE, 1, key, token);
  }
}
