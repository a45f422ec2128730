// What the instance admin may see and do: every account, the instance's totals,
// and disabling an account (it cannot log in or stream; its sessions and live
// streams end). Every function takes the acting user and checks isAdmin itself.
import { isUuid } from "./channels.ts";
import { db } from "./db.ts";
import { NotFoundError, ValidationError } from "./errors.ts";
import { endSession } from "./liveSessions.ts";
import { logOutEverywhere } from "./logout.ts";
import { ACCOUNT_LINK, LINK_TTL_MS } from "./accountLinks.ts";
import { issueToken } from "./accountTokens.ts";
import { logger } from "./log.ts";

const log = logger("web");

/** Throws NotFoundError unless the user is an enabled instance admin. */
export async function assertAdmin(actingUserId: string): Promise<void> {
  const u = await db().user.findUnique({ where: { id: actingUserId }, select: { isAdmin: true, disabledAt: true } });
  // Not "forbidden": a non-admin learns nothing about the admin pages.
  if (!u?.isAdmin || u.disabledAt) throw new NotFoundError();
}

export async function listAccounts(actingUserId: string) {
  await assertAdmin(actingUserId);
  const users = await db().user.findMany({
    orderBy: { createdAt: "asc" },
    select: { id: true, email: true, displayName: true, isAdmin: true, createdAt: true, disabledAt: true, _count: { select: { channels: true } } },
  });
  return users.map(({ _count, ...u }) => ({ ...u, channels: _count.channels }));
}

export async function instanceTotals(actingUserId: string) {
  await assertAdmin(actingUserId);
  const [users, disabled, channels, live, replays] = await Promise.all([
    db().user.count(),
    db().user.count({ where: { disabledAt: { not: null } } }),
    db().channel.count(),
    db().liveSession.count({ where: { status: { in: ["live", "reconnecting"] } } }),
    db().replay.count(),
  ]);
  return { users, disabled, channels, live, replays };
}

/** Disables (or enables) an account. Disabling logs it out everywhere and ends its live streams. */
export async function setAccountDisabled(actingUserId: string, userId: string, disabled: boolean): Promise<void> {
  await assertAdmin(actingUserId);
  if (!isUuid(userId)) throw new NotFoundError("Account not found");
  if (userId === actingUserId) throw new ValidationError({ "": "You cannot disable your own account." });
  const { count } = await db().user.updateMany({ where: { id: userId }, data: { disabledAt: disabled ? new Date() : null } });
  if (count === 0) throw new NotFoundError("Account not found");
  if (!disabled) return;
  await logOutEverywhere(userId);
  const live = await db().liveSession.findMany({ where: { channel: { ownerId: userId }, status: { in: ["live", "reconnecting"] } }, select: { id: true } });
  for (const s of live) await endSession(s.id, "account-disabled");
}

/**
 * A one-time password reset link for an account, for instances without mail (or a
 * user who lost their mailbox). The admin hands it over; it works for a day.
 * Returns the link's path (the page adds the origin the admin is using).
 */
export async function createResetLink(actingUserId: string, userId: string): Promise<{ path: string; expiresAt: Date }> {
  await assertAdmin(actingUserId);
  if (!isUuid(userId)) throw new NotFoundError("Account not found");
  const user = await db().user.findUnique({ where: { id: userId }, select: { disabledAt: true } });
  if (!user) throw new NotFoundError("Account not found");
  if (user.disabledAt) throw new ValidationError({ "": "This account is disabled. Enable it first." });
  const { token, expiresAt } = await issueToken(userId, "password-reset", LINK_TTL_MS.adminReset, { issuedBy: "admin" });
  log.info("admin made a password reset link", { admin: actingUserId, user: userId });
  return { path: ACCOUNT_LINK.resetPassword(token), expiresAt };
}
