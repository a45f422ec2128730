// Form rules, shared by server actions, route handlers and the seed script.
import { z } from "zod";
import { LadderError, formatLadder, parseLadder } from "./ladder.ts";
import { LIMITS } from "./limits.ts";

export { LIMITS };

// Paths the app owns, or that would confuse people if they were channel names.
export const RESERVED_SLUGS = new Set([
  "admin", "api", "app", "c", "channel", "channels", "dashboard", "embed", "hls", "live", "login",
  "logout", "new", "replay", "replays", "settings", "signup", "static", "livehouse", "matrix",
]);

// Control characters have no place in names and labels (and PostgreSQL refuses NUL in text);
// multi-line text keeps its line breaks and tabs.
const SINGLE_LINE_CONTROL = /[\u0000-\u001f\u007f]/;
const MULTI_LINE_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
export const noControl = (multiLine = false) => (s: string) => !(multiLine ? MULTI_LINE_CONTROL : SINGLE_LINE_CONTROL).test(s);
export const controlMessage = (what: string) => `${what} must not contain control characters.`;

const email = z
  .string()
  .trim()
  .toLowerCase()
  .min(1, "Enter your email address.")
  .max(LIMITS.emailMax, `Email must be at most ${LIMITS.emailMax} characters.`)
  .email("Enter a valid email address.");

const password = z
  .string()
  .min(LIMITS.passwordMin, `Password must be at least ${LIMITS.passwordMin} characters.`)
  .max(LIMITS.passwordMax, `Password must be at most ${LIMITS.passwordMax} characters.`);

const displayName = z
  .string()
  .trim()
  .min(1, "Enter a display name.")
  .max(LIMITS.displayNameMax, `Display name must be at most ${LIMITS.displayNameMax} characters.`)
  .refine(noControl(), controlMessage("Display name"));

export const signupSchema = z.object({ email, password, displayName });
export const loginSchema = z.object({
  email: z.string().trim().toLowerCase().min(1, "Enter your email address.").max(LIMITS.emailMax),
  password: z.string().min(1, "Enter your password.").max(LIMITS.passwordMax),
});

export const slugSchema = z
  .string()
  .trim()
  .toLowerCase()
  .min(LIMITS.slugMin, `URL name must be at least ${LIMITS.slugMin} characters.`)
  .max(LIMITS.slugMax, `URL name must be at most ${LIMITS.slugMax} characters.`)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "URL name may contain lowercase letters, digits and single dashes between them.")
  .refine((s) => !RESERVED_SLUGS.has(s), "That URL name is reserved. Choose another.");

const ladderField = z
  .string()
  .trim()
  .max(300, "Ladder must be at most 300 characters.")
  .transform((s, ctx) => {
    if (s === "") return null; // use the instance default
    try {
      return formatLadder(parseLadder(s));
    } catch (err) {
      ctx.addIssue({ code: "custom", message: err instanceof LadderError ? err.message : "Invalid ladder." });
      return z.NEVER;
    }
  });

// A form sends "off" (hidden input) and then "on" when the box is ticked; callers that omit it get true.
const checkbox = z
  .union([z.boolean(), z.enum(["on", "off", "true", "false"])])
  .optional()
  .transform((v) => v === undefined || v === true || v === "on" || v === "true");

export const channelSchema = z.object({
  slug: slugSchema,
  title: z
    .string()
    .trim()
    .min(1, "Title is required.")
    .max(LIMITS.titleMax, `Title must be at most ${LIMITS.titleMax} characters.`)
    .refine(noControl(), controlMessage("Title")),
  description: z
    .string()
    .trim()
    .max(LIMITS.descriptionMax, `Description must be at most ${LIMITS.descriptionMax} characters.`)
    .refine(noControl(true), controlMessage("Description"))
    .default(""),
  reconnectGraceMinutes: z.coerce
    .number({ message: "Reconnect window must be a number of minutes." })
    .int("Reconnect window must be whole minutes.")
    .min(0, "Reconnect window must be 0–60 minutes.")
    .max(LIMITS.graceMinutesMax, "Reconnect window must be 0–60 minutes.")
    .default(5),
  ladder: ladderField.default(null),
  keepReplays: checkbox,
  /** Days to keep replays; null: the instance default; 0: forever. */
  replayRetentionDays: z.coerce
    .number({ message: "Keep replays for a number of days (empty: the instance default, 0: forever)." })
    .int("Keep replays for whole days.")
    .min(0, `Keep replays for 0–${LIMITS.retentionDaysMax} days.`)
    .max(LIMITS.retentionDaysMax, `Keep replays for 0–${LIMITS.retentionDaysMax} days.`)
    .nullable()
    .default(null),
  /** Offer low-latency WebRTC playback (HLS stays as the fallback). */
  webrtcEnabled: checkbox,
});

export type ChannelInput = z.output<typeof channelSchema>;

const labelSchema = (what: string, example: string) =>
  z
    .string()
    .trim()
    .min(1, `Give the ${what} a label, e.g. “${example}”.`)
    .max(LIMITS.keyLabelMax, `Label must be at most ${LIMITS.keyLabelMax} characters.`)
    .refine(noControl(), controlMessage("Label"));

export const streamKeyLabelSchema = labelSchema("key", "OBS at home");
export const apiTokenLabelSchema = labelSchema("token", "Stats bot");

export type FieldErrors = Record<string, string>;

/** First message per field, keyed by field name ("" for form-level problems). */
export function fieldErrors(error: z.ZodError): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of error.issues) {
    const key = issue.path.length ? String(issue.path[0]) : "";
    if (!(key in out)) out[key] = issue.message;
  }
  return out;
}

/** FormData → plain object of its string fields (files and repeated names ignored). */
export function formFields(form: FormData, names: readonly string[]): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const n of names) {
    const v = form.get(n);
    out[n] = typeof v === "string" ? v : undefined;
  }
  return out;
}
