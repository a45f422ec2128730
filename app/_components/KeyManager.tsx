"use client";
import { useState } from "react";
import { CopyField } from "./CopyField.tsx";
import { formatDate } from "../../lib/format.ts";
import { LIMITS } from "../../lib/limits.ts";

export interface KeyRow {
  id: string;
  label: string;
  hint: string;
  createdAt: string;
  lastUsedAt: string | null;
}

async function call(url: string, init: RequestInit): Promise<{ ok: boolean; body: any }> {
  try {
    const res = await fetch(url, { ...init, headers: { "Content-Type": "application/json", ...init.headers } });
    const body = res.status === 204 ? null : await res.json().catch(() => null);
    return { ok: res.ok, body };
  } catch {
    return { ok: false, body: { error: "Network error. Check your connection and try again." } };
  }
}

/** Stream keys of one channel: create (shown once), list, revoke. */
export function KeyManager({ channelId, initialKeys }: { channelId: string; initialKeys: KeyRow[] }) {
  const [keys, setKeys] = useState(initialKeys);
  const [label, setLabel] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [fresh, setFresh] = useState<{ label: string; key: string } | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);

  async function create(e: React.FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const { ok, body } = await call(`/api/channels/${channelId}/keys`, { method: "POST", body: JSON.stringify({ label }) });
    setBusy(false);
    if (!ok) return setError(body?.fields?.label ?? body?.error ?? "Could not create the key.");
    setFresh({ label: body.label, key: body.key });
    setKeys((k) => [...k, { id: body.id, label: body.label, hint: body.hint, createdAt: body.createdAt, lastUsedAt: null }]);
    setLabel("");
  }

  async function revoke(id: string) {
    setBusy(true);
    setError(null);
    const { ok, body } = await call(`/api/keys/${id}`, { method: "DELETE" });
    setBusy(false);
    setConfirming(null);
    if (!ok) return setError(body?.error ?? "Could not revoke the key.");
    setKeys((k) => k.filter((row) => row.id !== id));
  }

  return (
    <div className="stack" data-testid="key-manager">
      {fresh && (
        <div className="key-new stack" role="status" data-testid="new-key">
          <strong>New stream key “{fresh.label}”</strong>
          <p className="small" style={{ margin: 0 }}>
            Copy it now and paste it into OBS (Settings → Stream → Stream Key). <strong>It will not be shown again.</strong>
          </p>
          <CopyField value={fresh.key} label="stream key" name="new-key-value" />
          <div>
            <button type="button" className="btn btn-small" onClick={() => setFresh(null)}>
              I have copied it
            </button>
          </div>
        </div>
      )}
      {keys.length === 0 ? (
        <p className="muted small" data-testid="no-keys">
          No stream keys yet. Create one to go live; you can have several (one per encoder or location).
        </p>
      ) : (
        <ul className="key-list" aria-label="Stream keys">
          {keys.map((k) => (
            <li key={k.id} data-testid="key-row">
              <div className="grow">
                <strong>{k.label}</strong> <code className="muted">{k.hint}</code>
                <div className="muted small">
                  Created {formatDate(k.createdAt)} · Last used {k.lastUsedAt ? formatDate(k.lastUsedAt) : "never"}
                </div>
              </div>
              {confirming === k.id ? (
                <div className="row">
                  <span className="small">Encoders using it stop at once.</span>
                  <button type="button" className="btn btn-danger solid btn-small" disabled={busy} onClick={() => revoke(k.id)}>
                    Revoke key
                  </button>
                  <button type="button" className="btn btn-small" onClick={() => setConfirming(null)}>
                    Cancel
                  </button>
                </div>
              ) : (
                <button type="button" className="btn btn-danger btn-small" onClick={() => setConfirming(k.id)}>
                  Revoke
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      <form className="row" onSubmit={create}>
        <input type="text" className="grow" name="label" aria-label="New key label" placeholder="Label, e.g. OBS at home"
          maxLength={LIMITS.keyLabelMax} value={label} onChange={(e) => setLabel(e.target.value)} style={{ minWidth: 180 }} />
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? "Working…" : "Create stream key"}
        </button>
      </form>
      {error && (
        <div className="alert alert-error" role="alert">
          {error}
        </div>
      )}
    </div>
  );
}
