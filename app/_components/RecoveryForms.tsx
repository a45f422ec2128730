"use client";
// Forms of password reset and email change, and the admin's "reset link" button.
import { useActionState } from "react";
import Link from "next/link";
import { cancelEmailChangeAction, changeEmailAction, confirmEmailAction, createResetLinkAction, forgotPasswordAction, resetPasswordAction } from "../recoveryActions.ts";
import type { FormState } from "../_lib/forms.ts";
import { LIMITS } from "../../lib/limits.ts";
import { CopyField } from "./CopyField.tsx";
import { Field, FormError } from "./Field.tsx";

export function ForgotPasswordForm() {
  const [state, action, pending] = useActionState<FormState, FormData>(forgotPasswordAction, {});
  const e = state.errors ?? {};
  if (state.ok) {
    return (
      <div className="alert alert-ok" role="status" data-testid="reset-sent">
        {state.values?.message} Check your inbox (and spam folder).
      </div>
    );
  }
  return (
    <form className="form" action={action} noValidate>
      <FormError message={e[""]} />
      <Field name="email" label="Email" type="email" autoComplete="email" required defaultValue={state.values?.email} error={e.email} />
      <button className="btn btn-primary" type="submit" disabled={pending}>{pending ? "Sending…" : "Send me a reset link"}</button>
      <p className="muted small"><Link href="/login">Back to log in</Link></p>
    </form>
  );
}

export function ResetPasswordForm({ token }: { token: string }) {
  const [state, action, pending] = useActionState<FormState, FormData>(resetPasswordAction, {});
  const e = state.errors ?? {};
  return (
    <form className="form" action={action} noValidate>
      <FormError message={e[""]} />
      <input type="hidden" name="token" value={token} />
      <Field name="password" label="New password" type="password" autoComplete="new-password" required minLength={LIMITS.passwordMin}
        error={e.password} hint={`At least ${LIMITS.passwordMin} characters. You will be logged out everywhere.`} />
      <button className="btn btn-primary" type="submit" disabled={pending}>{pending ? "Saving…" : "Set new password"}</button>
    </form>
  );
}

export function ConfirmEmailForm({ token }: { token: string }) {
  const [state, action, pending] = useActionState<FormState, FormData>(confirmEmailAction, {});
  return (
    <form action={action}>
      <FormError message={state.errors?.[""]} />
      <input type="hidden" name="token" value={token} />
      <button className="btn btn-primary" type="submit" disabled={pending}>{pending ? "Confirming…" : "Confirm new email"}</button>
    </form>
  );
}

export function ChangeEmailForm({ mailEnabled }: { mailEnabled: boolean }) {
  const [state, action, pending] = useActionState<FormState, FormData>(changeEmailAction, {});
  const e = state.errors ?? {};
  return (
    <form className="form" action={action} noValidate data-testid="change-email">
      <FormError message={e[""]} />
      {state.ok && state.values?.pending && (
        <div className="alert alert-ok" role="status">
          We sent a confirmation link to {state.values.pending}. Your email changes when you open it.
        </div>
      )}
      {state.ok && state.values?.changed && (
        <div className="alert alert-ok" role="status">Your email is now {state.values.changed}.</div>
      )}
      <Field name="newEmail" label="New email" type="email" autoComplete="email" defaultValue={state.ok ? "" : state.values?.newEmail} error={e.newEmail}
        hint={mailEnabled ? "We send a confirmation link to the new address and tell the old one." : "This instance sends no email, so your password confirms the change."} />
      {/* Not "password": the delete form on the same page has that field, and ids must be unique. */}
      <Field name="emailPassword" label="Password" type="password" autoComplete="current-password" error={e.password} />
      <div className="row">
        <button className="btn btn-primary" type="submit" disabled={pending}>{pending ? "Saving…" : "Change email"}</button>
      </div>
    </form>
  );
}

export function CancelEmailChangeForm() {
  const [state, action, pending] = useActionState<FormState, FormData>(cancelEmailChangeAction, {});
  return (
    <form action={action} style={{ display: "inline" }}>
      <FormError message={state.errors?.[""]} />
      <button className="btn btn-small" type="submit" disabled={pending}>{pending ? "…" : "Cancel"}</button>
    </form>
  );
}

/** Admin page: makes a one-time reset link for one account and shows it to copy. */
export function ResetLinkButton({ userId, label }: { userId: string; label: string }) {
  const [state, action, pending] = useActionState<FormState, FormData>(createResetLinkAction, {});
  if (state.ok && state.values?.link) {
    return (
      <div data-testid="reset-link">
        <CopyField value={state.values.link} label={`Reset link for ${label}`} name="reset-link-value" />
        <span className="hint small">Works once, until {new Date(state.values.expiresAt ?? "").toUTCString().replace(" GMT", " UTC")}. Give it to them privately.</span>
      </div>
    );
  }
  return (
    <form action={action}>
      <input type="hidden" name="userId" value={userId} />
      <button className="btn btn-small" type="submit" disabled={pending} aria-label={`Make a password reset link for ${label}`}>
        {pending ? "…" : "Reset link"}
      </button>
      {state.errors?.[""] && <span className="field-error" role="alert"> {state.errors[""]}</span>}
    </form>
  );
}
