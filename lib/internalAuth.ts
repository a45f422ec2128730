// Workers read a live input from ingest by part id, never by stream key. The
// read URL carries an HMAC of (part, epoch) so that only our workers can read,
// and ingest can tell an older transcode attempt from the current one.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { config } from "./config.ts";
import { redis } from "./redis.ts";

let cached: string | undefined;

/** INTERNAL_SECRET, or one generated once and shared through Redis by every role. */
export async function internalSecret(): Promise<string> {
  if (config.internalSecret) return config.internalSecret;
  if (cached) return cached;
  await redis().set("internal-secret", randomBytes(32).toString("hex"), "NX");
  cached = (await redis().get("internal-secret"))!;
  return cached;
}

function sign(secret: string, partId: string, epoch: number): string {
  return createHmac("sha256", secret).update(`${partId}.${epoch}`).digest("hex");
}

export async function internalReadUrl(partId: string, epoch: number): Promise<string> {
  const token = sign(await internalSecret(), partId, epoch);
  return `${config.ingestInternalUrl}/internal/${partId}?e=${epoch}&t=${token}`;
}

export function verifyInternalRead(secret: string, partId: string, epoch: unknown, token: unknown): boolean {
  if (typeof token !== "string" || typeof epoch !== "string" || !/^\d{1,9}$/.test(epoch) || !/^[0-9a-f]{64}$/.test(token)) return false;
  const expected = Buffer.from(sign(secret, partId, Number(epoch)), "hex");
  return timingSafeEqual(expected, Buffer.from(token, "hex"));
}
