// The X-Livehouse-Signature scheme (README "API tokens and webhooks"):
//   t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>[,v1=<…>]
// The timestamp is signed with the body, so a receiver that refuses old timestamps
// also refuses a captured request played again. During the day after a secret is
// rotated, a second v1 made with the previous secret is added.
import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "X-Livehouse-Signature";
/** What we advise receivers to accept (and what verifySignature does by default). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

const hmac = (secret: string, t: number, body: string) => createHmac("sha256", secret).update(`${t}.${body}`).digest("hex");

export function signatureHeader(body: string, secrets: string[], nowMs = Date.now()): string {
  const t = Math.floor(nowMs / 1000);
  return [`t=${t}`, ...secrets.map((s) => `v1=${hmac(s, t, body)}`)].join(",");
}

/** A receiver's check: a v1 made with `secret` over this body, and a timestamp within the tolerance. */
export function verifySignature(header: string | null | undefined, body: string, secret: string, opts: { toleranceSeconds?: number; nowMs?: number } = {}): boolean {
  if (!header) return false;
  const parts = header.split(",").map((p) => p.trim().split("="));
  const t = Number(parts.find(([k]) => k === "t")?.[1]);
  if (!Number.isInteger(t)) return false;
  const now = Math.floor((opts.nowMs ?? Date.now()) / 1000);
  if (Math.abs(now - t) > (opts.toleranceSeconds ?? SIGNATURE_TOLERANCE_SECONDS)) return false;
  const expected = Buffer.from(hmac(secret, t, body), "hex");
  return parts.some(([k, v]) => k === "v1" && /^[0-9a-f]{64}$/.test(v ?? "") && timingSafeEqual(Buffer.from(v, "hex"), expected));
}
