"use server";
// Every server action: refuse cross-origin first, then identify the user, then
// call lib/ (which checks ownership in the query itself).
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { revalidatePath } from "next/cache";
import { changePassword, deleteAccount, logIn, signUp } from "../lib/accounts.ts";
import { setAccountDisabled } from "../lib/admin.ts";
import { logOutOtherSessions } from "../lib/logout.ts";
import { createChannel, deleteChannel, getOwnedChannel, updateChannel, type ChannelFormInput } from "../lib/channels.ts";
import { clientIp } from "../lib/origin.ts";
import { formFields } from "../lib/validation.ts";
import { actingUser, failure, kept, refusal, type FormState } from "./_lib/forms.ts";
import { currentSessionToken, endSession, safeReturnPath, startSession } from "./_lib/auth.ts";

export type { FormState };

export async function signupAction(_prev: FormState, form: FormData): Promise<FormState> {
  const refused = await refusal();
  if (refused) return refused;
  const fields = formFields(form, ["email", "password", "displayName"]);
  let userId: string;
  try {
    userId = (await signUp(fields, clientIp(await headers()))).id;
  } catch (err) {
    return failure(err, kept(fields, ["password"]));
  }
  await startSession(userId);
  redirect("/dashboard");
}

export async function loginAction(_prev: FormState, form: FormData): Promise<FormState> {
  const refused = await refusal();
  if (refused) return refused;
  const fields = formFields(form, ["email", "password"]);
  let userId: string;
  try {
    userId = (await logIn(fields, clientIp(await headers()))).id;
  } catch (err) {
    return failure(err, kept(fields, ["password"]));
  }
  await startSession(userId);
  redirect(safeReturnPath(form.get("next")));
}

export async function logoutAction(): Promise<void> {
  if (await refusal()) return;
  await endSession();
  redirect("/");
}

const CHANNEL_FIELDS = ["slug", "title", "description", "reconnectGraceMinutes", "ladder", "replayRetentionDays"] as const;

const CHANNEL_CHECKBOXES = ["keepReplays", "webrtcEnabled"];

/** Checkboxes: the form always sends a hidden "off" and, when ticked, an "on" after it. */
function withCheckboxes(form: FormData, fields: Record<string, string | undefined>, names: string[]) {
  const out = { ...fields };
  for (const name of names) {
    const values = form.getAll(name);
    out[name] = values.includes("on") ? "on" : values.length ? "off" : undefined;
  }
  return out;
}

export async function createChannelAction(_prev: FormState, form: FormData): Promise<FormState> {
  const refused = await refusal();
  if (refused) return refused;
  const fields = withCheckboxes(form, formFields(form, CHANNEL_FIELDS), CHANNEL_CHECKBOXES);
  let id: string;
  try {
    const user = await actingUser();
    id = (await createChannel(user.id, fields as ChannelFormInput)).id;
  } catch (err) {
    return failure(err, kept(fields));
  }
  revalidatePath("/dashboard");
  redirect(`/dashboard#channel-${id}`);
}

export async function updateChannelAction(_prev: FormState, form: FormData): Promise<FormState> {
  const refused = await refusal();
  if (refused) return refused;
  const fields = withCheckboxes(form, formFields(form, [...CHANNEL_FIELDS, "channelId"]), CHANNEL_CHECKBOXES);
  try {
    const user = await actingUser();
    await updateChannel(user.id, fields.channelId ?? "", fields as ChannelFormInput);
  } catch (err) {
    return failure(err, kept(fields));
  }
  revalidatePath("/dashboard");
  return { ok: true, values: kept(fields) };
}

export async function deleteChannelAction(_prev: FormState, form: FormData): Promise<FormState> {
  const refused = await refusal();
  if (refused) return refused;
  const { channelId, confirmSlug } = formFields(form, ["channelId", "confirmSlug"]);
  try {
    const user = await actingUser();
    const channel = await getOwnedChannel(user.id, channelId ?? "");
    if ((confirmSlug ?? "").trim().toLowerCase() !== channel.slug) {
      return { errors: { confirmSlug: `Type ${channel.slug} to confirm.` } };
    }
    await deleteChannel(user.id, channel.id);
  } catch (err) {
    return failure(err);
  }
  revalidatePath("/dashboard");
  redirect("/dashboard?deleted=1");
}

export async function changePasswordAction(_prev: FormState, form: FormData): Promise<FormState> {
  const refused = await refusal();
  if (refused) return refused;
  const fields = formFields(form, ["currentPassword", "newPassword"]);
  try {
    const user = await actingUser();
    const { endedSessions } = await changePassword(user.id, fields, await currentSessionToken());
    revalidatePath("/dashboard/account");
    return { ok: true, values: { ended: String(endedSessions) } };
  } catch (err) {
    return failure(err);
  }
}

export async function endOtherSessionsAction(_prev: FormState, _form: FormData): Promise<FormState> {
  const refused = await refusal();
  if (refused) return refused;
  try {
    const user = await actingUser();
    const ended = await logOutOtherSessions(user.id, await currentSessionToken());
    revalidatePath("/dashboard/account");
    return { ok: true, values: { ended: String(ended) } };
  } catch (err) {
    return failure(err);
  }
}

export async function deleteAccountAction(_prev: FormState, form: FormData): Promise<FormState> {
  const refused = await refusal();
  if (refused) return refused;
  const { confirmEmail, password } = formFields(form, ["confirmEmail", "password"]);
  try {
    const user = await actingUser();
    if ((confirmEmail ?? "").trim().toLowerCase() !== user.email) return { errors: { confirmEmail: `Type ${user.email} to confirm.` } };
    await deleteAccount(user.id, password);
  } catch (err) {
    return failure(err);
  }
  await endSession().catch(() => {});
  redirect("/?account-deleted=1");
}

export async function setAccountDisabledAction(_prev: FormState, form: FormData): Promise<FormState> {
  const refused = await refusal();
  if (refused) return refused;
  const { userId, disabled } = formFields(form, ["userId", "disabled"]);
  try {
    const admin = await actingUser();
    await setAccountDisabled(admin.id, userId ?? "", disabled === "1");
  } catch (err) {
    return failure(err);
  }
  revalidatePath("/admin");
  return { ok: true };
}
