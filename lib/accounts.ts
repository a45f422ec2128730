// Sign-up and log-in rules. Route-agnostic: the web app's server actions and the
// demo seeding both call these.
import { config } from "./config.ts";
import { db, isUniqueViolation } from "./db.ts";
import { ValidationError } from "./errors.ts";
import { hashPassword, verifyAgainstDummy, verifyPassword } from "./passwords.ts";
import { blockedFor, hit, minutesText, reset, type Counter } from "./rateLimit.ts";
import { REDIS_KEY } from "./redisKeys.ts";
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
      throw new ValidationError({ email: "An account with this email already exists. Log in instead." });
    }
    throw err;
  }
}

function accountCounterKey(email: string): string {
  // Hashed so that Redis never holds a list of the emails people tried.
  return REDIS_KEY.loginPerAccount(createHash("sha256").update(email).digest("hex").slice(0, 32));
}

export const LOGIN_FAILED = "Email or password is incorrect.";

export async function logIn(input: AccountInput, clientIp = "unknown") {
  const parsed = loginSchema.safeParse(input);
  if (!parsed.success) throw new ValidationError(fieldErrors(parsed.error));
  const { email, password } = parsed.data;

  const window = config.loginFailureWindowSeconds;
  const perAccount: Counter = { key: accountCounterKey(email), max: config.loginMaxFailuresPerAccount, windowSeconds: window };
  const perIp: Counter = { key: REDIS_KEY.loginPerIp(clientIp), max: config.loginMaxFailuresPerIp, windowSeconds: window };

  // Same message whether or not the account exists: no enumeration through the limiter.
  const wait = await blockedFor([perAccount, perIp]);
  if (wait > 0) {
    throw new ValidationError({ "": `Too many failed sign-in attempts. Try again in ${minutesText(wait)}.` });
  }

  const user = await db().user.findUnique({ where: { email } });
  const ok = user ? await verifyPassword(user.passwordHash, password) : await verifyAgainstDummy(password);
  if (!user || !ok) {
    await hit([perAccount, perIp]);
    throw new ValidationError({ "": LOGIN_FAILED });
  }
  await reset([perAccount.key]);
  return { id: user.id, email: user.email, displayName: user.displayName, isAdmin: user.isAdmin };
}
