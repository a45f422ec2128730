// What every server action shares: the cross-origin refusal, the acting user, and
// turning a refusal from lib/ into form state the page shows beside the fields.
import { headers } from "next/headers";
import { NotFoundError, ValidationError } from "../../lib/errors.ts";
import { logger } from "../../lib/log.ts";
import { crossOriginRefusal } from "../../lib/origin.ts";
import type { FieldErrors } from "../../lib/validation.ts";
import { currentUser } from "./auth.ts";

const log = logger("web");

export interface FormState {
  errors?: FieldErrors;
  /** What the user typed, so a refused form keeps it (never the password). */
  values?: Record<string, string>;
  ok?: boolean;
}

export async function refusal(): Promise<FormState | null> {
  const reason = crossOriginRefusal(await headers());
  return reason ? { errors: { "": reason } } : null;
}

export function failure(err: unknown, values?: Record<string, string>): FormState {
  if (err instanceof ValidationError) return { errors: err.fields, values };
  if (err instanceof NotFoundError) return { errors: { "": err.message } };
  log.error("server action failed", { error: String(err) });
  return { errors: { "": "Something went wrong on our side. Try again." }, values };
}

export function kept(fields: Record<string, string | undefined>, omit: string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined && !omit.includes(k)) out[k] = v;
  return out;
}

export async function actingUser() {
  const user = await currentUser();
  if (!user) throw new ValidationError({ "": "Your session has ended. Log in again." });
  return user;
}
