// Outgoing mail through SMTP_URL. Mail goes out in the background, so how long a
// mail server takes never tells a visitor whether an account exists.
import { createTransport } from "nodemailer";
import { config } from "./config.ts";
import { logger } from "./log.ts";
import type { MailMessage } from "./accountLinks.ts";

const log = logger("mail");

/**
 * Why mail is off although SMTP_URL is set, or null. Links in mail need PUBLIC_URL:
 * taken from a request's Host header, a stranger could have a reset link to their
 * own site mailed to someone else.
 */
export function mailProblem(): string | null {
  if (!config.smtpUrl) return null;
  if (!config.publicUrl) return "SMTP_URL is set but PUBLIC_URL is not: no mail is sent, because links in mail must not come from a request's Host header. Set PUBLIC_URL.";
  try {
    const u = new URL(config.smtpUrl);
    if (u.protocol !== "smtp:" && u.protocol !== "smtps:") return `SMTP_URL must start with smtp:// or smtps://, got ${u.protocol}//`;
  } catch {
    return "SMTP_URL is not a URL (smtp://user:password@host:587 or smtps://…:465).";
  }
  return null;
}

export const mailEnabled = () => Boolean(config.smtpUrl) && mailProblem() === null;

/** The site's public origin, for links in mail (only called when mail is enabled). */
export const siteOrigin = () => new URL(config.publicUrl).origin;
export const siteName = () => new URL(config.publicUrl).host;

function sender(): string {
  return config.mailFrom || `Livehouse <no-reply@${new URL(config.publicUrl).hostname}>`;
}

const globalForMail = globalThis as unknown as { livehouseMail?: { url: string; transport: ReturnType<typeof createTransport> } };

function transport() {
  const url = config.smtpUrl;
  if (globalForMail.livehouseMail?.url !== url) {
    globalForMail.livehouseMail = { url, transport: createTransport(url, { from: sender() }) };
  }
  return globalForMail.livehouseMail.transport;
}

export async function sendMail(msg: MailMessage): Promise<void> {
  await transport().sendMail({ to: msg.to, subject: msg.subject, text: msg.text });
}

const RETRY_DELAYS_MS = [2_000, 10_000, 60_000, 300_000];

/**
 * Sends without making the caller wait, retrying a mail server that is down for a
 * few minutes. `what` names the mail in logs; addresses and links are never logged.
 */
export function sendInBackground(msg: MailMessage, what: string, userId: string): void {
  const attempt = (n: number) => {
    sendMail(msg).then(
      () => log.info("mail sent", { what, user: userId }),
      (err: Error) => {
        const retry = n < RETRY_DELAYS_MS.length;
        log.warn(retry ? "could not send mail; retrying" : "could not send mail; giving up", { what, user: userId, attempt: n + 1, error: String(err.message).slice(0, 200) });
        if (retry) setTimeout(() => attempt(n + 1), RETRY_DELAYS_MS[n]).unref();
      },
    );
  };
  attempt(0);
}
