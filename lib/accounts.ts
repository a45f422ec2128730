// Sign-up and log-in rules. Route-agnostic: the web app's server actions and the
// demo seeding both call these.
import { config } from "./config.ts";
import { db, isUniqueViolation } from "./db.ts";
import { ValidationError } from "./errors.ts";
import { hashPassword, verifyAgainstDummy, verifyPassword } from "./passwords.ts";
import { blockedFor, hit, minutesText, reset, type Counter } from "./rateLimit.ts";
import { redis } from "./redis.ts";
import { REDIS_KEY } from "./redisKeys.ts";
import { deleteChannel } from "./channels.ts";
import { logOutEverywhere, logOutOtherSessions } from "./logout.ts";
import { revokeTokens } from "./accountTokens.ts";
import { fieldErrors, loginSchema, signupSchema } from "./validation.ts";
import { createHash } from "node:crypto";

export interface AccountInput {
  email?: string;
  password?: string;
  displayName?: string;
}

// Arbitrary constant: serialises first-account creation so exactly one admin appears.
const FIRST_ADMIN_LOCK = 4_711_001;

export async function signUp(input: AccountInput, clientIp = "unknown") {
  const parsed = signupSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError(fieldErrors(parsed.error));
  const { email, password, displayName } = parsed.data;

  const perIp: Counter = { key: REDIS_KEY.signupPerIp(clientIp), max: config.signupMaxPerIpPerHour, windowSeconds: 3600 };
  const wait = await blockedFor([perIp]);
  if (wait > 0) throw new ValidationError({ "": `Too many sign-ups from your network. Try again in ${minutesText(wait)}.` });

  const passwordHash = await hashPassword(password);
  try {
    const user = await db().$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${FIRST_ADMIN_LOCK})`;
      const isFirst = (await tx.user.count()) === 0;
      return tx.user.create({
        data: { email, displayName, passwordHash, isAdmin: isFirst },
        select: { id: true, email: true, displayName: true, isAdmin: true },
      });
    });
    await hit([perIp]);
    return user;
  } catch (err) {
    if (isUniqueViolation(err)) {
      // Counted like a sign-up: otherwise the message is an unlimited "does this account exist?".
      await hit([perIp]);
      throw new ValidationError({ email: "An account with this email already exists. Log in instead." });
    }
    throw err;
  }
}

export function accountHash(email: string): string {
  // Hashed so that Redis never holds a list of the emails people tried.
  return createHash("sha256").update(email).digest("hex").slice(0, 32);
}

export const LOGIN_FAILED = "Email or password is incorrect.";

/**
 * Throttling that a stranger cannot turn against the owner: limits per address and
 * per (account, address) refuse; failures on an account from everywhere only slow
 * each attempt on it down (up to LOGIN_MAX_DELAY_MS), so the owner still gets in.
 */
const LOGIN_MAX_DELAY_MS = 8000;
const NOTICE_TTL_SECONDS = 30 * 24 * 3600;

export function loginDelayMs(recentFailures: number, slowAfter = config.loginSlowAfterFailures): number {
  if (recentFailures < slowAfter) return 0;
  return Math.min(LOGIN_MAX_DELAY_MS, 500 * 2 ** (recentFailures - slowAfter));
}

export async function logIn(input: AccountInput, clientIp = "unknown") {
  const parsed = loginSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError(fieldErrors(parsed.error));
  const { email, password } = parsed.data;

  const window = config.loginFailureWindowSeconds;
  const emailHash = accountHash(email);
  const perAccount: Counter = { key: REDIS_KEY.loginPerAccount(emailHash), max: Number.MAX_SAFE_INTEGER, windowSeconds: window };
  const perAccountIp: Counter = { key: REDIS_KEY.loginPerAccountAndIp(emailHash, clientIp), max: config.loginMaxFailuresPerAccount, windowSeconds: window };
  const perIp: Counter = { key: REDIS_KEY.loginPerIp(clientIp), max: config.loginMaxFailuresPerIp, windowSeconds: window };

  // Same message whether or not the account exists: no enumeration through the limiter.
  const wait = await blockedFor([perAccountIp, perIp]);
  if (wait > 0) {
    throw new ValidationError({ "": `Too many failed sign-in attempts. Try again in ${minutesText(wait)}.` });
  }
  const delay = loginDelayMs(Number((await redis().get(perAccount.key)) ?? 0));
  if (delay > 0) await new Promise((r) => setTimeout(r, delay));

  const user = await db().user.findUnique({ where: { email } });
  const ok = user ? await verifyPassword(user.passwordHash, password) : await verifyAgainstDummy(password);
  if (!user || !ok) {
    await hit([perAccount, perAccountIp, perIp]);
    if (user) {
      const since = REDIS_KEY.loginFailuresSinceLogin(emailHash);
      await redis().multi().hincrby(since, "count", 1).hset(since, "lastAt", String(Date.now())).expire(since, NOTICE_TTL_SECONDS).exec();
    }
    throw new ValidationError({ "": LOGIN_FAILED });
  }
  // Said only to whoever knows the password, so it tells a stranger nothing.
  if (user.disabledAt) throw new ValidationError({ "": "This account is disabled. Ask the instance admin." });
  await reset([perAccountIp.key]);
  await noteFailuresSinceLastLogin(user.id, emailHash);
  return { id: user.id, email: user.email, displayName: user.displayName, isAdmin: user.isAdmin };
}

export interface LoginNotice {
  failedAttempts: number;
  lastAt: number;
}

async function noteFailuresSinceLastLogin(userId: string, emailHash: string): Promise<void> {
  const since = REDIS_KEY.loginFailuresSinceLogin(emailHash);
  const [[, raw]] = (await redis().multi().hgetall(since).del(since).exec()) as [[unknown, Record<string, string>], unknown];
  const count = Number(raw?.count ?? 0);
  if (count > 0) {
    const notice: LoginNotice = { failedAttempts: count, lastAt: Number(raw.lastAt ?? Date.now()) };
    await redis().set(REDIS_KEY.loginNotice(userId), JSON.stringify(notice), "EX", NOTICE_TTL_SECONDS);
  }
}

/** Failed attempts on the account before this login, told once (the dashboard shows it after login). */
export async function takeLoginNotice(userId: string): Promise<LoginNotice | null> {
  const raw = await redis().getdel(REDIS_KEY.loginNotice(userId));
  if (!raw) return null;
  try {
    return JSON.parse(raw) as LoginNotice;
  } catch {
    return null;
  }
}

const newPasswordSchema = signupSchema.shape.password;

/** Changes the password after checking the current one; every other session of the user ends. */
export async function changePassword(userId: string, input: { currentPassword?: string; newPassword?: string }, keepToken: string | undefined): Promise<{ endedSessions: number }> {
  const user = await db().user.findUnique({ where: { id: userId } });
  if (!user) throw new ValidationError({ "": "Your account no longer exists." });
  if (!input.currentPassword || !(await verifyPassword(user.passwordHash, input.currentPassword))) {
    throw new ValidationError({ currentPassword: "That is not your current password." });
  }
  const parsed = newPasswordSchema.safeParse(input.newPassword ?? "");
  if (!parsed.success) throw new ValidationError({ newPassword: parsed.error.issues[0]?.message ?? "Choose another password." });
  if (input.newPassword === input.currentPassword) throw new ValidationError({ newPassword: "The new password is the same as the current one." });
  await db().user.update({ where: { id: userId }, data: { passwordHash: await hashPassword(parsed.data) } });
  await revokeTokens(userId, ["password-reset"]);
  return { endedSessions: await logOutOtherSessions(userId, keepToken) };
}

/**
 * Deletes the account and everything it owns, after checking its password: each channel
 * goes the way a deleted channel goes (media purged in the background, publishers
 * disconnected, chat room closed), then the user row (sessions cascade).
 */
export async function deleteAccount(userId: string, password: string | undefined): Promise<void> {
  const user = await db().user.findUnique({ where: { id: userId }, include: { channels: { select: { id: true } } } });
  if (!user) return;
  if (!password || !(await verifyPassword(user.passwordHash, password))) throw new ValidationError({ password: "That is not your password." });
  for (const c of user.channels) await deleteChannel(userId, c.id);
  await logOutEverywhere(userId);
  await db().user.deleteMany({ where: { id: userId } });
}
