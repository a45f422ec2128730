// Stream keys: the one place that makes, hashes and checks them. Ingest, the web
// app and the workers all go through here.
import { createHash, randomInt } from "node:crypto";
import { secretHint } from "./bearerTokens.ts";
import { db } from "./db.ts";

export const STREAM_KEY_PREFIX = "lh_live_";
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
// 32 base62 characters = 190 random bits (the brief asks for at least 128).
const RANDOM_CHARS = 32;
const WELL_FORMED = new RegExp(`^${STREAM_KEY_PREFIX}[A-Za-z0-9]{${RANDOM_CHARS}}$`);

export interface NewStreamKey {
  /** Shown to the creator once, never stored. */
  key: string;
  keyHash: string;
  hint: string;
}

export function generateStreamKey(): NewStreamKey {
  let body = "";
  // randomInt is uniform (rejection sampling inside), so no modulo bias.
  for (let i = 0; i < RANDOM_CHARS; i++) body += ALPHABET[randomInt(ALPHABET.length)];
  const key = STREAM_KEY_PREFIX + body;
  return { key, keyHash: hashStreamKey(key), hint: streamKeyHint(key) };
}

/** Keys carry 190 random bits, so a fast hash is enough: no dictionary to guess from. */
export function hashStreamKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}

export function isWellFormedStreamKey(key: string): boolean {
  return WELL_FORMED.test(key);
}

/** "lh_live_AbC1…": enough to tell keys apart in a list, useless to an attacker. */
export function streamKeyHint(key: string): string {
  return secretHint(key, STREAM_KEY_PREFIX);
}

export interface AuthenticatedKey {
  keyId: string;
  channelId: string;
}

/**
 * Resolves a presented key to its channel, or null for a malformed, unknown or
 * revoked key. Marks the key as used.
 */
export async function authenticateStreamKey(key: string): Promise<AuthenticatedKey | null> {
  if (!isWellFormedStreamKey(key)) return null;
  const row = await db().streamKey.findUnique({
    where: { keyHash: hashStreamKey(key) },
    select: { id: true, channelId: true, revokedAt: true, channel: { select: { owner: { select: { disabledAt: true } } } } },
  });
  // A disabled account's keys publish nothing (lib/admin.ts).
  if (!row || row.revokedAt || row.channel.owner.disabledAt) return null;
  await db().streamKey.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } });
  return { keyId: row.id, channelId: row.channelId };
}
