import { createHash } from "node:crypto";
import { hashBearerToken, newBearerToken } from "./bearerTokens.ts";
import { config } from "./config.ts";
import { db } from "./db.ts";

export const SESSION_COOKIE = "lh_session";
const LAST_SEEN_EVERY_MS = 5 * 60_000;

export interface SessionUser {
  id: string;
  email: string;
  displayName: string;
  isAdmin: boolean;
}

/**
 * The Matrix device a web session chats from: one per web session, so repeated chat
 * logins reuse it and ending the web session can end exactly that device.
 */
export function chatDeviceId(sessionToken: string): string {
  return chatDeviceOfRow(tokenHash(sessionToken));
}

function chatDeviceOfRow(rowId: string): string {
  return `LHW${createHash("sha256").update(`chat-device|${rowId}`).digest("hex").slice(0, 20).toUpperCase()}`;
}

const tokenHash = hashBearerToken;

export async function createSession(userId: string): Promise<{ token: string; expiresAt: Date }> {
  const token = newBearerToken();
  const expiresAt = new Date(Date.now() + config.sessionDays * 86400_000);
  await db().session.create({ data: { id: tokenHash(token), userId, expiresAt } });
  return { token, expiresAt };
}

export async function userForSession(token: string | undefined): Promise<SessionUser | null> {
  if (!token || token.length > 100) return null;
  const session = await db().session.findUnique({
    where: { id: tokenHash(token) },
    include: { user: { select: { id: true, email: true, displayName: true, isAdmin: true, disabledAt: true } } },
  });
  if (!session) return null;
  if (session.user.disabledAt) return null;
  if (session.expiresAt.getTime() <= Date.now()) {
    await db().session.deleteMany({ where: { id: session.id } });
    return null;
  }
  // For the sessions list; at most one write every few minutes per session.
  if (!session.lastSeenAt || Date.now() - session.lastSeenAt.getTime() > LAST_SEEN_EVERY_MS) {
    await db().session.updateMany({ where: { id: session.id }, data: { lastSeenAt: new Date() } });
  }
  const { disabledAt: _disabled, ...user } = session.user;
  return user;
}

export async function deleteSession(token: string | undefined): Promise<void> {
  if (token) await db().session.deleteMany({ where: { id: tokenHash(token) } });
}

export interface SessionListing {
  /** A short, stable handle for the list (a prefix of the token hash: it cannot log anyone in). */
  handle: string;
  createdAt: Date;
  lastSeenAt: Date | null;
  expiresAt: Date;
  current: boolean;
}

/** The user's live sessions, newest first, marking the one this token belongs to. */
export async function listSessions(userId: string, currentToken: string | undefined): Promise<SessionListing[]> {
  const current = currentToken ? tokenHash(currentToken) : null;
  const rows = await db().session.findMany({ where: { userId, expiresAt: { gt: new Date() } }, orderBy: { createdAt: "desc" } });
  return rows.map((s) => ({ handle: s.id.slice(0, 12), createdAt: s.createdAt, lastSeenAt: s.lastSeenAt, expiresAt: s.expiresAt, current: s.id === current }));
}

/**
 * Logs the user out everywhere but here (`keepToken`), or everywhere when it is undefined.
 * Returns the chat devices of the sessions that ended (lib/logout.ts revokes them).
 */
export async function endSessions(userId: string, keepToken?: string): Promise<string[]> {
  const keep = keepToken ? tokenHash(keepToken) : null;
  const where = { userId, ...(keep ? { id: { not: keep } } : {}) };
  const ended = await db().session.findMany({ where, select: { id: true } });
  await db().session.deleteMany({ where: { id: { in: ended.map((s) => s.id) } } });
  return ended.map((s) => chatDeviceOfRow(s.id));
}
