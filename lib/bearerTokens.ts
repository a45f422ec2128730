// Secrets handed to a browser or a program that the database only knows by hash
// (login sessions, one-time account links, API tokens), and how a prefixed secret
// is shown in a list. A database leak then hands out none of them.
import { createHash, randomBytes } from "node:crypto";

/** 256 random bits, URL-safe. */
export const newBearerToken = (): string => randomBytes(32).toString("base64url");

/** What the database keeps of a token: its sha256, hex. */
export const hashBearerToken = (token: string): string => createHash("sha256").update(token).digest("hex");

/** Characters after a secret's prefix shown in lists ("lh_live_AbC1…"): enough to tell them apart, useless to an attacker. */
export const SECRET_HINT_CHARS = 4;

export function secretHint(secret: string, prefix: string): string {
  return secret.slice(0, prefix.length + SECRET_HINT_CHARS) + "…";
}
