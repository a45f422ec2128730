"use client";
import { useActionState } from "react";
import { setAccountDisabledAction, type FormState } from "../actions.ts";

/** Disable / Enable one account from the admin page. */
export function AccountToggle({ userId, disabled, label }: { userId: string; disabled: boolean; label: string }) {
  const [state, action, pending] = useActionState<FormState, FormData>(setAccountDisabledAction, {});
  return (
    <form action={action}>
      <input type="hidden" name="userId" value={userId} />
      <input type="hidden" name="disabled" value={disabled ? "0" : "1"} />
      <button className={disabled ? "btn btn-small" : "btn btn-small btn-danger"} type="submit" disabled={pending} aria-label={`${disabled ? "Enable" : "Disable"} ${label}`}>
        {pending ? "…" : disabled ? "Enable" : "Disable"}
      </button>
      {state.errors?.[""] && <span className="field-error" role="alert"> {state.errors[""]}</span>}
    </form>
  );
}
