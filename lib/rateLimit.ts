// Fixed-window failure counters in Redis: shared by every web process, and they
// survive a restart of any of them.
import { redis } from "./redis.ts";

export interface Counter {
  key: string;
  max: number;
  windowSeconds: number;
}

/** Seconds until the first exhausted counter resets, or 0 when all are under their limit. */
export async function blockedFor(counters: Counter[]): Promise<number> {
  let wait = 0;
  for (const c of counters) {
    const [count, ttl] = await Promise.all([redis().get(c.key), redis().ttl(c.key)]);
    if (Number(count ?? 0) >= c.max) wait = Math.max(wait, ttl > 0 ? ttl : c.windowSeconds);
  }
  return wait;
}

export async function hit(counters: Counter[]): Promise<void> {
  const multi = redis().multi();
  for (const c of counters) {
    multi.incr(c.key);
    // NX: the window starts at the first failure and is not pushed back by later ones.
    multi.expire(c.key, c.windowSeconds, "NX");
  }
  await multi.exec();
}

export async function reset(keys: string[]): Promise<void> {
  if (keys.length) await redis().del(...keys);
}

export function minutesText(seconds: number): string {
  const m = Math.max(1, Math.ceil(seconds / 60));
  return m === 1 ? "1 minute" : `${m} minutes`;
}
