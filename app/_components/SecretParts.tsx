"use client";
// Pieces the dashboard's secret managers share (stream keys, API tokens, webhook secrets).
import { useState, type ReactNode } from "react";
import { formatDate } from "../../lib/format.ts";
import { LIMITS } from "../../lib/limits.ts";
import { CopyField } from "./CopyField.tsx";

/** A new secret, shown this once, with Copy and a button to put it away. */
export function ShownOnce({ testId, title, advice, value, label, name, onDone }: {
  testId: string;
  title: ReactNode;
  advice: ReactNode;
  value: string;
  label: string;
  name: string;
  onDone: () => void;
}) {
  return (
    <div className="key-new stack" role="status" data-testid={testId}>
      <strong>{title}</strong>
      <p className="small" style={{ margin: 0 }}>
        {advice} <strong>It will not be shown again.</strong>
      </p>
      <CopyField value={value} label={label} name={name} />
      <div>
        <button type="button" className="btn btn-small" onClick={onDone}>
          I have copied it
        </button>
      </div>
    </div>
  );
}

/** A destructive button that asks once more in place: "Revoke" → "<warning> [Revoke key] [Cancel]". */
export function ConfirmButton({ label, confirmLabel, warning, busy, onConfirm }: {
  label: string;
  confirmLabel: string;
  warning?: string;
  busy: boolean;
  onConfirm: () => void;
}) {
  const [confirming, setConfirming] = useState(false);
  if (!confirming) {
    return (
      <button type="button" className="btn btn-danger btn-small" onClick={() => setConfirming(true)}>
        {label}
      </button>
    );
  }
  return (
    <div className="row">
      {warning && <span className="small">{warning}</span>}
      <button type="button" className="btn btn-danger solid btn-small" disabled={busy} onClick={() => (setConfirming(false), onConfirm())}>
        {confirmLabel}
      </button>
      <button type="button" className="btn btn-small" onClick={() => setConfirming(false)}>
        Cancel
      </button>
    </div>
  );
}

/** The label field and submit button that make a new secret (inside the caller's form). */
export function NewLabelRow({ ariaLabel, placeholder, value, onChange, busy, submit }: {
  ariaLabel: string;
  placeholder: string;
  value: string;
  onChange: (v: string) => void;
  busy: boolean;
  submit: string;
}) {
  return (
    <div className="row">
      <input type="text" className="grow" name="label" aria-label={ariaLabel} placeholder={placeholder}
        maxLength={LIMITS.keyLabelMax} value={value} onChange={(e) => onChange(e.target.value)} style={{ minWidth: 180 }} />
      <button type="submit" className="btn btn-primary" disabled={busy}>
        {busy ? "Working…" : submit}
      </button>
    </div>
  );
}

/** "Created … · Last used …" under a key or token in a list. */
export function CreatedAndUsed({ createdAt, lastUsedAt }: { createdAt: string; lastUsedAt: string | null }) {
  return (
    <div className="muted small">
      Created {formatDate(createdAt)} · Last used {lastUsedAt ? formatDate(lastUsedAt) : "never"}
    </div>
  );
}

export function ErrorAlert({ error }: { error: string | null }) {
  return error ? <div className="alert alert-error" role="alert">{error}</div> : null;
}
