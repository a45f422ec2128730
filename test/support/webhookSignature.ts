// How a webhook receiver checks X-Livehouse-Signature, as the README tells it to:
// written out here independently of lib/webhooks/signature.ts, so a test holds the
// implementation to the documented scheme.
import { createHmac, timingSafeEqual } from "node:crypto";

/** The README's check: t within 5 minutes, and a v1 equal to HMAC-SHA256(secret, "<t>.<body>"). */
export function signatureValid(header: unknown, body: string, secret: string, nowSeconds = Math.floor(Date.now() / 1000)): boolean {
  if (typeof header !== "string") return false;
  const fields = header.split(",").map((kv) => kv.split("=") as [string, string]);
  const t = Number(fields.find(([k]) => k === "t")?.[1]);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > 300) return false;
  const expected = createHmac("sha256", secret).update(`${t}.${body}`).digest();
  return fields.some(([k, v]) => k === "v1" && v?.length === 64 && timingSafeEqual(Buffer.from(v, "hex"), expected));
}
