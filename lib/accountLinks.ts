// The one-time account links and the mail that carries them. Pure: the paths are
// also the app's route folders (app/reset-password/[token], app/confirm-email/[token]),
// and the log redacts tokens by these same prefixes (lib/log.ts).

export const ACCOUNT_LINK = {
  resetPassword: (token: string) => `/reset-password/${token}`,
  confirmEmail: (token: string) => `/confirm-email/${token}`,
} as const;

/** How long each kind of link works. */
export const LINK_TTL_MS = {
  /** Emailed reset links: short, the mailbox may be read by others later. */
  emailedReset: 60 * 60_000,
  /** Admin-made reset links are handed over out of band, which takes longer. */
  adminReset: 24 * 60 * 60_000,
  emailChange: 24 * 60 * 60_000,
} as const;

/** A link token's shape (32 random bytes, base64url); anything else is not looked up. */
export const isLinkToken = (t: unknown): t is string => typeof t === "string" && /^[A-Za-z0-9_-]{20,100}$/.test(t);

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

const hours = (ms: number) => {
  const h = Math.round(ms / 3_600_000);
  return h >= 1 ? (h === 1 ? "1 hour" : `${h} hours`) : `${Math.round(ms / 60_000)} minutes`;
};

export function passwordResetMail(to: string, link: string, site: string): MailMessage {
  return {
    to,
    subject: `Reset your ${site} password`,
    text: [
      `Someone (hopefully you) asked to reset the password of your account on ${site}.`,
      "",
      `Choose a new password here (the link works once, for ${hours(LINK_TTL_MS.emailedReset)}):`,
      link,
      "",
      "Setting a new password logs you out everywhere.",
      "If you did not ask for this, ignore this email: your password stays as it is.",
    ].join("\n"),
  };
}

export function confirmEmailMail(to: string, link: string, site: string): MailMessage {
  return {
    to,
    subject: `Confirm your new email address on ${site}`,
    text: [
      `Someone (hopefully you) asked to use this address for their account on ${site}.`,
      "",
      `Confirm it here (the link works once, for ${hours(LINK_TTL_MS.emailChange)}):`,
      link,
      "",
      "If you did not ask for this, ignore this email: nothing changes.",
    ].join("\n"),
  };
}

export function emailChangeNoticeMail(to: string, newEmail: string, site: string): MailMessage {
  return {
    to,
    subject: `Your ${site} email address is being changed`,
    text: [
      `Someone logged in to your account on ${site} asked to change its email address to ${newEmail}.`,
      "It changes once that address confirms it.",
      "",
      "If this was not you, log in and change your password now: whoever did this knows it.",
    ].join("\n"),
  };
}
