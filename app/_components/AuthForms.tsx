"use client";
import { useActionState } from "react";
import Link from "next/link";
import { loginAction, signupAction, type FormState } from "../actions.ts";
import { Field, FormError } from "./Field.tsx";
import { LIMITS } from "../../lib/limits.ts";

export function SignupForm() {
  const [state, action, pending] = useActionState<FormState, FormData>(signupAction, {});
  const e = state.errors ?? {};
  return (
    <form className="form" action={action} noValidate>
      <FormError message={e[""]} />
      <Field name="displayName" label="Display name" autoComplete="nickname" required maxLength={LIMITS.displayNameMax}
        defaultValue={state.values?.displayName} error={e.displayName} hint="Shown on your channels and in chat." />
      <Field name="email" label="Email" type="email" autoComplete="email" required defaultValue={state.values?.email} error={e.email} />
      <Field name="password" label="Password" type="password" autoComplete="new-password" required minLength={LIMITS.passwordMin}
        error={e.password} hint={`At least ${LIMITS.passwordMin} characters.`} />
      <button className="btn btn-primary" type="submit" disabled={pending}>
        {pending ? "Creating account…" : "Create account"}
      </button>
      <p className="muted small">
        Already have an account? <Link href="/login">Log in</Link>
      </p>
    </form>
  );
}

export function LoginForm({ next }: { next?: string }) {
  const [state, action, pending] = useActionState<FormState, FormData>(loginAction, {});
  const e = state.errors ?? {};
  return (
    <form className="form" action={action} noValidate>
      <FormError message={e[""]} />
      <input type="hidden" name="next" value={next ?? "/dashboard"} />
      <Field name="email" label="Email" type="email" autoComplete="email" required defaultValue={state.values?.email} error={e.email} />
      <Field name="password" label="Password" type="password" autoComplete="current-password" required error={e.password} />
      <button className="btn btn-primary" type="submit" disabled={pending}>
        {pending ? "Logging in…" : "Log in"}
      </button>
      <p className="muted small">
        New here? <Link href="/signup">Create an account</Link> · <Link href="/forgot-password">Forgot your password?</Link>
      </p>
    </form>
  );
}
