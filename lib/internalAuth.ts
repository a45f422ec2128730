// Workers read a live part's source from ingest by part id, never by stream key.
// The read carries an HMAC of (part, epoch) so that only our workers can read,
// and ingest can tell an older transcode attempt from the current one. The URL
// shape itself is the spool protocol's (lib/spool.ts).
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { config } from "./config.ts";
import { REDIS_KEY } from "./redisKeys.ts";
import { redis } from "./redis.ts";

let cached: string | undefined;

/** INTERNAL_SECRET, or one generated once and shared through Redis by every role. */
export async function internalSecret(): Promise<string> {
  if (config.internalSecret) return config.internalSecret;
  if (cached) return cached;
  await redis().set(REDIS_KEY.internalSecret(), randomBytes(32).toString("hex"), "NX");
  cached = (await redis().get(REDIS_KEY.internalSecret()))!;
  return cached;
}

export function signInternalRead(secret: string, partId: string, epoch: number): string {
  return createHmac("sha256", secret).update(`${partId}.${epoch}`).digest("hex");
}

export function verifyInternalRead(secret: string, partId: string, epoch: unknown, token: unknown): boolean {
  if (typeof token !== "string" || typeof epoch !== "string" || !/^\d{1,9}$/.test(epoch) || !/^[0-9a-f]{64}$/.test(token)) return false;
  const expected = Buffer.from(signInternalRead(secret, partId, Number(epoch)), "hex");
  return timingSafeEqual(expected, Buffer.from(token, "hex"));
}
