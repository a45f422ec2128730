// API tokens: made, listed, revoked and checked here, for the owner API
// (app/_lib/api.ts `authed`). A token acts for its user, for the whole account or
// for one channel, and only within its scopes; it never carries admin powers.
import { API_SCOPE_NAMES, API_TOKEN_PREFIX, isApiScope, type ApiScope } from "./apiScopes.ts";
import { hashBearerToken, newBearerToken, secretHint } from "./bearerTokens.ts";
import { getOwnedChannel, isUuid } from "./channels.ts";
import { db } from "./db.ts";
import { LimitError, NotFoundError, ValidationError } from "./errors.ts";
import type { SessionUser } from "./sessions.ts";
import { apiTokenLabelSchema } from "./validation.ts";

export const MAX_ACTIVE_TOKENS_PER_USER = 50;
const WELL_FORMED = new RegExp(`^${API_TOKEN_PREFIX}[A-Za-z0-9_-]{43}$`);
/** lastUsedAt is written at most this often per token: a busy script costs one write a minute. */
const LAST_USED_EVERY_MS = 60_000;

const tokenListing = { id: true, label: true, hint: true, scopes: true, channelId: true, createdAt: true, lastUsedAt: true } as const;

export interface TokenInput {
  label?: unknown;
  scopes?: unknown;
}

function parseInput(input: TokenInput): { label: string; scopes: ApiScope[] } {
  const label = apiTokenLabelSchema.safeParse(input.label ?? "");
  if (!label.success) throw new ValidationError({ label: label.error.issues[0].message });
  const raw = input.scopes;
  if (!Array.isArray(raw) || raw.length === 0) throw new ValidationError({ scopes: "Choose at least one scope." });
  const unknown = raw.find((s) => !isApiScope(s));
  if (unknown !== undefined) throw new ValidationError({ scopes: `Unknown scope ${JSON.stringify(unknown)}. Scopes: ${API_SCOPE_NAMES.join(", ")}.` });
  // Stored in the canonical order, once each.
  return { label: label.data, scopes: API_SCOPE_NAMES.filter((s) => raw.includes(s)) };
}

/**
 * A new token for the account (channelId null) or one of the user's channels.
 * Returns the plaintext token: the only moment it exists outside the caller.
 */
export async function createApiToken(userId: string, channelId: string | null, input: TokenInput) {
  const { label, scopes } = parseInput(input);
  if (channelId !== null) await getOwnedChannel(userId, channelId);
  const active = await db().apiToken.count({ where: { userId, revokedAt: null } });
  if (active >= MAX_ACTIVE_TOKENS_PER_USER) throw new LimitError(`An account can have at most ${MAX_ACTIVE_TOKENS_PER_USER} active API tokens. Revoke one first.`);
  const token = API_TOKEN_PREFIX + newBearerToken();
  const row = await db().apiToken.create({
    data: { userId, channelId, label, scopes, tokenHash: hashBearerToken(token), hint: secretHint(token, API_TOKEN_PREFIX) },
    select: tokenListing,
  });
  return { ...row, token };
}

/** Active tokens of the account (channelId null) or of one of the user's channels. */
export async function listApiTokens(userId: string, channelId: string | null) {
  if (channelId !== null) await getOwnedChannel(userId, channelId);
  return db().apiToken.findMany({ where: { userId, channelId, revokedAt: null }, orderBy: { createdAt: "asc" }, select: tokenListing });
}

/** Takes effect on the token's next request. */
export async function revokeApiToken(userId: string, tokenId: string): Promise<void> {
  if (!isUuid(tokenId)) throw new NotFoundError("API token not found");
  const { count } = await db().apiToken.updateMany({ where: { id: tokenId, userId, revokedAt: null }, data: { revokedAt: new Date() } });
  if (count === 0) throw new NotFoundError("API token not found");
}

export interface TokenPrincipal {
  user: SessionUser;
  tokenId: string;
  /** null: the whole account. */
  channelId: string | null;
  scopes: ApiScope[];
}

/** The token's user and powers, or null for a malformed, unknown or revoked token, or a disabled account. */
export async function authenticateApiToken(token: string): Promise<TokenPrincipal | null> {
  if (!WELL_FORMED.test(token)) return null;
  const row = await db().apiToken.findUnique({
    where: { tokenHash: hashBearerToken(token) },
    include: { user: { select: { id: true, email: true, displayName: true, disabledAt: true } } },
  });
  if (!row || row.revokedAt || row.user.disabledAt) return null;
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > LAST_USED_EVERY_MS) {
    await db().apiToken.updateMany({ where: { id: row.id }, data: { lastUsedAt: new Date() } });
  }
  const { disabledAt: _disabled, ...user } = row.user;
  return { user: { ...user, isAdmin: false }, tokenId: row.id, channelId: row.channelId, scopes: row.scopes.filter(isApiScope) };
}

/** What a route touches, so that a channel token reaches its own channel only. */
export type ResourceRef =
  | { channel: string }
  | { streamKey: string }
  | { replay: string }
  | { liveSession: string };

/** The channel a resource belongs to, or null when it does not exist. */
export async function channelOfResource(ref: ResourceRef): Promise<string | null> {
  const id = Object.values(ref)[0] as string;
  if (!isUuid(id)) return null;
  const pick = { select: { channelId: true } } as const;
  if ("channel" in ref) return (await db().channel.findUnique({ where: { id }, select: { id: true } }))?.id ?? null;
  if ("streamKey" in ref) return (await db().streamKey.findUnique({ where: { id }, ...pick }))?.channelId ?? null;
  if ("replay" in ref) return (await db().replay.findUnique({ where: { id }, ...pick }))?.channelId ?? null;
  return (await db().liveSession.findUnique({ where: { id }, ...pick }))?.channelId ?? null;
}
