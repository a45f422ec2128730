import { createHash, randomBytes } from "node:crypto";
import { config } from "./config.ts";
import { db } from "./db.ts";

export const SESSION_COOKIE = "lh_session";

export interface SessionUser {
  id: string;
  email: string;
  displayName: string;
  isAdmin: boolean;
}

function tokenHash(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export async function createSession(userId: string): Promise<{ token: string; expiresAt: Date }> {
  const token = randomBytes(32).toString("base64url");
  const expiresAt = new Date(Date.now() + config.sessionDays * 86400_000);
  await db().session.create({ data: { id: tokenHash(token), userId, expiresAt } });
  return { token, expiresAt };
}

export async function userForSession(token: string | undefined): Promise<SessionUser | null> {
  if (!token || token.length > 100) return null;
  const session = await db().session.findUnique({
    where: { id: tokenHash(token) },
    include: { user: { select: { id: true, email: true, displayName: true, isAdmin: true } } },
  });
  if (!session) return null;
  if (session.expiresAt.getTime() <= Date.now()) {
    await db().session.deleteMany({ where: { id: session.id } });
    return null;
  }
  return session.user;
}

export async function deleteSession(token: string | undefined): Promise<void> {
  if (token) await db().session.deleteMany({ where: { id: tokenHash(token) } });
}
