// One-time account links in the database: issued, looked at (a GET never uses one
// up, mail scanners open links), and used exactly once.
import { hashBearerToken as hash, newBearerToken } from "./bearerTokens.ts";
import { db } from "./db.ts";
import { isLinkToken } from "./accountLinks.ts";

export type TokenPurpose = "password-reset" | "email-change";

/** A new link token; the user's earlier links of the same purpose stop working. */
export async function issueToken(userId: string, purpose: TokenPurpose, ttlMs: number, opts: { issuedBy: "email" | "admin"; newEmail?: string }): Promise<{ token: string; expiresAt: Date }> {
  const token = newBearerToken();
  const expiresAt = new Date(Date.now() + ttlMs);
  await db().$transaction([
    db().accountToken.deleteMany({ where: { userId, purpose } }),
    db().accountToken.create({ data: { id: hash(token), userId, purpose, issuedBy: opts.issuedBy, newEmail: opts.newEmail ?? null, expiresAt } }),
  ]);
  return { token, expiresAt };
}

/** The link's row while it still works, else null. Does not use it up. */
export async function peekToken(token: unknown, purpose: TokenPurpose) {
  if (!isLinkToken(token)) return null;
  const row = await db().accountToken.findUnique({ where: { id: hash(token) }, include: { user: { select: { email: true, disabledAt: true } } } });
  if (!row || row.purpose !== purpose || row.expiresAt.getTime() <= Date.now() || row.user.disabledAt) return null;
  return row;
}

/** Uses the link up: of two concurrent uses, one gets the row and the other null. */
export async function consumeToken(token: unknown, purpose: TokenPurpose) {
  const row = await peekToken(token, purpose);
  if (!row) return null;
  const { count } = await db().accountToken.deleteMany({ where: { id: row.id } });
  return count === 1 ? row : null;
}

export async function revokeTokens(userId: string, purposes: TokenPurpose[]): Promise<void> {
  await db().accountToken.deleteMany({ where: { userId, purpose: { in: purposes } } });
}

export async function pendingEmailChange(userId: string): Promise<{ newEmail: string; expiresAt: Date } | null> {
  const row = await db().accountToken.findFirst({ where: { userId, purpose: "email-change", expiresAt: { gt: new Date() } }, orderBy: { createdAt: "desc" } });
  return row?.newEmail ? { newEmail: row.newEmail, expiresAt: row.expiresAt } : null;
}
