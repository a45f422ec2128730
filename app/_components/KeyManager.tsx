"use client";
import { useState } from "react";
import { ConfirmButton, CreatedAndUsed, ErrorAlert, NewLabelRow, ShownOnce } from "./SecretParts.tsx";
import { useApiAction } from "./apiCall.ts";

export interface KeyRow {
  id: string;
  label: string;
  hint: string;
  createdAt: string;
  lastUsedAt: string | null;
}

/** Stream keys of one channel: create (shown once), list, revoke. */
export function KeyManager({ channelId, initialKeys }: { channelId: string; initialKeys: KeyRow[] }) {
  const [keys, setKeys] = useState(initialKeys);
  const [label, setLabel] = useState("");
  const { busy, error, act } = useApiAction();
  const [fresh, setFresh] = useState<{ label: string; key: string } | null>(null);

  async function create(e: React.FormEvent) {
    e.preventDefault();
    const body = await act(`/api/channels/${channelId}/keys`, { method: "POST", body: JSON.stringify({ label }) }, "Could not create the key.");
    if (!body) return;
    setFresh({ label: body.label, key: body.key });
    setKeys((k) => [...k, { id: body.id, label: body.label, hint: body.hint, createdAt: body.createdAt, lastUsedAt: null }]);
    setLabel("");
  }

  async function revoke(id: string) {
    if (!(await act(`/api/keys/${id}`, { method: "DELETE" }, "Could not revoke the key."))) return;
    setKeys((k) => k.filter((row) => row.id !== id));
  }

  return (
    <div className="stack" data-testid="key-manager">
      {fresh && (
        <ShownOnce testId="new-key" title={`New stream key “${fresh.label}”`} advice="Copy it now and paste it into OBS (Settings → Stream → Stream Key)."
          value={fresh.key} label="stream key" name="new-key-value" onDone={() => setFresh(null)} />
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
                <CreatedAndUsed createdAt={k.createdAt} lastUsedAt={k.lastUsedAt} />
              </div>
              <ConfirmButton label="Revoke" confirmLabel="Revoke key" warning="Encoders using it stop at once." busy={busy} onConfirm={() => revoke(k.id)} />
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={create}>
        <NewLabelRow ariaLabel="New key label" placeholder="Label, e.g. OBS at home" value={label} onChange={setLabel} busy={busy} submit="Create stream key" />
      </form>
      <ErrorAlert error={error} />
    </div>
  );
}
