"use server";
// Server actions of password reset and email change (lib/accountRecovery.ts), and
// the admin's reset link. Same order as app/actions.ts: refuse cross-origin, then
// identify the user where there is one, then call lib/.
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { revalidatePath } from "next/cache";
import { cancelEmailChange, confirmEmailChange, requestEmailChange, requestPasswordReset, resetPassword, RESET_SENT } from "../lib/accountRecovery.ts";
import { createResetLink } from "../lib/admin.ts";
import { clientIp, expectedOrigin } from "../lib/origin.ts";
import { formFields } from "../lib/validation.ts";
import { currentUser } from "./_lib/auth.ts";
import { actingUser, failure, kept, refusal, type FormState } from "./_lib/forms.ts";

export async function forgotPasswordAction(_prev: FormState, form: FormData): Promise<FormState> {
  const refused = await refusal();
  if (refused) return refused;
  const fields = formFields(form, ["email"]);
  try {
    await requestPasswordReset(fields, clientIp(await headers()));
  } catch (err) {
    return failure(err, kept(fields));
  }
  return { ok: true, values: { message: RESET_SENT } };
}

export async function resetPasswordAction(_prev: FormState, form: FormData): Promise<FormState> {
  const refused = await refusal();
  if (refused) return refused;
  const { token, password } = formFields(form, ["token", "password"]);
  try {
    await resetPassword(token, password);
  } catch (err) {
    return failure(err);
  }
  redirect("/login?reset=1");
}

export async function changeEmailAction(_prev: FormState, form: FormData): Promise<FormState> {
  const refused = await refusal();
  if (refused) return refused;
  const fields = formFields(form, ["newEmail", "emailPassword"]);
  try {
    const user = await actingUser();
    const result = await requestEmailChange(user.id, { newEmail: fields.newEmail, password: fields.emailPassword });
    revalidatePath("/dashboard/account");
    return { ok: true, values: "pending" in result ? { pending: result.pending } : { changed: result.changed } };
  } catch (err) {
    return failure(err, kept(fields, ["emailPassword"]));
  }
}

export async function cancelEmailChangeAction(_prev: FormState, _form: FormData): Promise<FormState> {
  const refused = await refusal();
  if (refused) return refused;
  try {
    await cancelEmailChange((await actingUser()).id);
  } catch (err) {
    return failure(err);
  }
  revalidatePath("/dashboard/account");
  return { ok: true };
}

export async function confirmEmailAction(_prev: FormState, form: FormData): Promise<FormState> {
  const refused = await refusal();
  if (refused) return refused;
  const { token } = formFields(form, ["token"]);
  try {
    await confirmEmailChange(token);
  } catch (err) {
    return failure(err);
  }
  redirect((await currentUser()) ? "/dashboard/account?email-changed=1" : "/login?email-changed=1");
}

export async function createResetLinkAction(_prev: FormState, form: FormData): Promise<FormState> {
  const refused = await refusal();
  if (refused) return refused;
  const { userId } = formFields(form, ["userId"]);
  try {
    const admin = await actingUser();
    const { path, expiresAt } = await createResetLink(admin.id, userId ?? "");
    // The admin's own origin: PUBLIC_URL, or the host this admin reached the site at.
    const origin = expectedOrigin(await headers()) ?? "";
    return { ok: true, values: { link: origin + path, expiresAt: expiresAt.toISOString() } };
  } catch (err) {
    return failure(err);
  }
}
