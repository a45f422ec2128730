// Secrets handed to a browser that the database only knows by hash: login sessions and
// one-time account links. A database leak then hands out neither.
import { createHash, randomBytes } from "node:crypto";

/** 256 random bits, URL-safe. */
export const newBearerToken = (): string => randomBytes(32).toString("base64url");

/** What the database keeps of a token: its sha256, hex. */
export const hashBearerToken = (token: string): string => createHash("sha256").update(token).digest("hex");
