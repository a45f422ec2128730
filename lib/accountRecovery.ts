// Getting back into an account and moving it to another address: password reset
// (emailed when mail is configured, otherwise a link the instance admin makes, see
// lib/admin.ts) and email change (confirmed from the new address when mail is on).
import { ACCOUNT_LINK, LINK_TTL_MS, confirmEmailMail, emailChangeNoticeMail, passwordResetMail } from "./accountLinks.ts";
import { accountHash } from "./accounts.ts";
import { consumeToken, issueToken, revokeTokens } from "./accountTokens.ts";
import { config } from "./config.ts";
import { db, isUniqueViolation } from "./db.ts";
import { ValidationError } from "./errors.ts";
import { logOutEverywhere } from "./logout.ts";
import { mailEnabled, sendInBackground, siteName, siteOrigin } from "./mail.ts";
import { hashPassword, verifyPassword } from "./passwords.ts";
import { blockedFor, hit, minutesText, reset, type Counter } from "./rateLimit.ts";
import { REDIS_KEY } from "./redisKeys.ts";
import { signupSchema } from "./validation.ts";

export const NO_MAIL = "This instance does not send email. Ask its admin for a password reset link: they can make one on the admin page.";
export const RESET_SENT = "If an account with that email exists, we have sent it a link to choose a new password. It works for an hour.";
const LINK_USED = "This link has expired or was already used. Ask for a new one.";
const RESETS_PER_ACCOUNT_PER_HOUR = 3;
const EMAIL_CHANGES_PER_HOUR = 5;

const newPassword = signupSchema.shape.password;
const newEmail = signupSchema.shape.email;

/**
 * Emails a reset link when the account exists. The answer is the same either way
 * (RESET_SENT) and the mail goes out in the background, so neither the words nor
 * the timing say whether the address has an account.
 */
export async function requestPasswordReset(input: { email?: string }, clientIp = "unknown"): Promise<void> {
  if (!mailEnabled()) throw new ValidationError({ "": NO_MAIL });
  const parsed = signupSchema.shape.email.safeParse(input.email ?? "");
  if (!parsed.success) throw new ValidationError({ email: parsed.error.issues[0]?.message ?? "Enter your email address." });
  const email = parsed.data;

  const perIp: Counter = { key: REDIS_KEY.resetPerIp(clientIp), max: config.passwordResetMaxPerIpPerHour, windowSeconds: 3600 };
  const wait = await blockedFor([perIp]);
  if (wait > 0) throw new ValidationError({ "": `Too many reset requests from your network. Try again in ${minutesText(wait)}.` });
  await hit([perIp]);

  // An inbox is not flooded however many addresses ask; said nowhere, like everything here.
  const perAccount: Counter = { key: REDIS_KEY.resetPerAccount(accountHash(email)), max: RESETS_PER_ACCOUNT_PER_HOUR, windowSeconds: 3600 };
  if ((await blockedFor([perAccount])) > 0) return;
  const user = await db().user.findUnique({ where: { email }, select: { id: true, email: true, disabledAt: true } });
  if (!user || user.disabledAt) return;
  await hit([perAccount]);
  const { token } = await issueToken(user.id, "password-reset", LINK_TTL_MS.emailedReset, { issuedBy: "email" });
  sendInBackground(passwordResetMail(user.email, siteOrigin() + ACCOUNT_LINK.resetPassword(token), siteName()), "password-reset", user.id);
}

/** Sets a new password with a reset link; every session of the user ends (chat devices too). */
export async function resetPassword(token: unknown, password: string | undefined): Promise<{ email: string }> {
  // Checked first, so a too-short password does not use the link up.
  const parsed = newPassword.safeParse(password ?? "");
  if (!parsed.success) throw new ValidationError({ password: parsed.error.issues[0]?.message ?? "Choose another password." });
  const row = await consumeToken(token, "password-reset");
  if (!row) throw new ValidationError({ "": LINK_USED });
  await db().user.update({ where: { id: row.userId }, data: { passwordHash: await hashPassword(parsed.data) } });
  await revokeTokens(row.userId, ["password-reset"]);
  await logOutEverywhere(row.userId);
  // The owner is back: failed attempts by others no longer slow their logins down.
  await reset([REDIS_KEY.loginPerAccount(accountHash(row.user.email))]);
  return { email: row.user.email };
}

export type EmailChangeResult = { pending: string } | { changed: string };

/**
 * With mail: a confirmation link goes to the new address and a notice to the old one;
 * the address changes when the link is used. Without mail the password confirms it.
 */
export async function requestEmailChange(userId: string, input: { newEmail?: string; password?: string }): Promise<EmailChangeResult> {
  const user = await db().user.findUnique({ where: { id: userId }, select: { id: true, email: true, passwordHash: true } });
  if (!user) throw new ValidationError({ "": "Your account no longer exists." });
  const parsed = newEmail.safeParse(input.newEmail ?? "");
  if (!parsed.success) throw new ValidationError({ newEmail: parsed.error.issues[0]?.message ?? "Enter a valid email address." });
  const to = parsed.data;
  if (to === user.email) throw new ValidationError({ newEmail: "That is already your email address." });
  if (!input.password || !(await verifyPassword(user.passwordHash, input.password))) throw new ValidationError({ password: "That is not your password." });

  // Also keeps a logged-in account from mailing confirmation links to arbitrary people.
  const perUser: Counter = { key: REDIS_KEY.emailChangePerUser(userId), max: EMAIL_CHANGES_PER_HOUR, windowSeconds: 3600 };
  const wait = await blockedFor([perUser]);
  if (wait > 0) throw new ValidationError({ "": `Too many email changes. Try again in ${minutesText(wait)}.` });
  await hit([perUser]);
  if (await db().user.findUnique({ where: { email: to }, select: { id: true } })) throw new ValidationError({ newEmail: "An account with this email already exists." });

  if (!mailEnabled()) {
    await applyEmailChange(userId, to);
    return { changed: to };
  }
  const { token } = await issueToken(userId, "email-change", LINK_TTL_MS.emailChange, { issuedBy: "email", newEmail: to });
  sendInBackground(confirmEmailMail(to, siteOrigin() + ACCOUNT_LINK.confirmEmail(token), siteName()), "email-confirmation", userId);
  sendInBackground(emailChangeNoticeMail(user.email, to, siteName()), "email-change-notice", userId);
  return { pending: to };
}

/** Uses a confirmation link: the account's email becomes the confirmed address. */
export async function confirmEmailChange(token: unknown): Promise<{ email: string }> {
  const row = await consumeToken(token, "email-change");
  if (!row?.newEmail) throw new ValidationError({ "": LINK_USED });
  await applyEmailChange(row.userId, row.newEmail);
  return { email: row.newEmail };
}

export async function cancelEmailChange(userId: string): Promise<void> {
  await revokeTokens(userId, ["email-change"]);
}

async function applyEmailChange(userId: string, email: string): Promise<void> {
  try {
    await db().user.update({ where: { id: userId }, data: { email } });
  } catch (err) {
    if (isUniqueViolation(err)) throw new ValidationError({ "": "An account with this email already exists." });
    throw err;
  }
  // Reset links went to the old address.
  await revokeTokens(userId, ["password-reset", "email-change"]);
}
