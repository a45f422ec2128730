"use client";
// The account page's forms: password, other sessions, deletion.
import { useActionState } from "react";
import { changePasswordAction, deleteAccountAction, endOtherSessionsAction, type FormState } from "../actions.ts";
import { LIMITS } from "../../lib/limits.ts";
import { Field, FormError } from "./Field.tsx";

const ended = (state: FormState) => Number(state.values?.ended ?? 0);
const sessionsText = (n: number) => (n === 1 ? "1 other session was" : `${n} other sessions were`);

export function ChangePasswordForm() {
  const [state, action, pending] = useActionState<FormState, FormData>(changePasswordAction, {});
  const e = state.errors ?? {};
  return (
    <form className="form" action={action} noValidate data-testid="change-password">
      <FormError message={e[""]} />
      {state.ok && (
        <div className="alert alert-ok" role="status">
          Password changed. {sessionsText(ended(state))} logged out.
        </div>
      )}
      <Field name="currentPassword" label="Current password" type="password" autoComplete="current-password" error={e.currentPassword} />
      <Field name="newPassword" label="New password" type="password" autoComplete="new-password" error={e.newPassword} hint={`At least ${LIMITS.passwordMin} characters. Every other session of yours is logged out.`} />
      <div className="row">
        <button className="btn btn-primary" type="submit" disabled={pending}>{pending ? "Saving…" : "Change password"}</button>
      </div>
    </form>
  );
}

export function EndOtherSessionsForm({ others }: { others: number }) {
  const [state, action, pending] = useActionState<FormState, FormData>(endOtherSessionsAction, {});
  return (
    <form action={action} data-testid="end-other-sessions">
      <FormError message={state.errors?.[""]} />
      {state.ok && (
        <div className="alert alert-ok" role="status" style={{ marginBottom: ".5rem" }}>
          {sessionsText(ended(state))} logged out.
        </div>
      )}
      <button className="btn" type="submit" disabled={pending || others === 0}>
        {pending ? "Logging out…" : "Log out everywhere else"}
      </button>
    </form>
  );
}

export function DeleteAccountForm({ email }: { email: string }) {
  const [state, action, pending] = useActionState<FormState, FormData>(deleteAccountAction, {});
  const e = state.errors ?? {};
  return (
    <form className="form" action={action} noValidate data-testid="delete-account">
      <FormError message={e[""]} />
      <Field name="confirmEmail" label={`Type ${email} to confirm`} autoComplete="off" autoCapitalize="none" spellCheck={false} error={e.confirmEmail} />
      <Field name="password" label="Password" type="password" autoComplete="current-password" error={e.password} />
      <div className="row">
        <button className="btn btn-danger solid" type="submit" disabled={pending}>{pending ? "Deleting…" : "Delete my account"}</button>
      </div>
    </form>
  );
}
