"use client";
import { useState } from "react";
import { API_SCOPES, type ApiScope } from "../../lib/apiScopes.ts";
import { useApiAction } from "./apiCall.ts";
import { CheckList } from "./CheckList.tsx";
import { ConfirmButton, CreatedAndUsed, ErrorAlert, NewLabelRow, ShownOnce } from "./SecretParts.tsx";

export interface TokenRow {
  id: string;
  label: string;
  hint: string;
  scopes: string[];
  createdAt: string;
  lastUsedAt: string | null;
}

/** API tokens of the account (channelId null) or of one channel: create (shown once), list, revoke. */
export function TokenManager({ channelId, initialTokens }: { channelId: string | null; initialTokens: TokenRow[] }) {
  const [tokens, setTokens] = useState(initialTokens);
  const [label, setLabel] = useState("");
  const [scopes, setScopes] = useState<ApiScope[]>(["channel:read"]);
  const { busy, error, act } = useApiAction();
  const [fresh, setFresh] = useState<{ label: string; token: string } | null>(null);
  const listUrl = channelId ? `/api/channels/${channelId}/tokens` : "/api/tokens";

  async function create(e: React.FormEvent) {
    e.preventDefault();
    const body = await act(listUrl, { method: "POST", body: JSON.stringify({ label, scopes }) }, "Could not create the token.");
    if (!body) return;
    setFresh({ label: body.label, token: body.token });
    setTokens((t) => [...t, { id: body.id, label: body.label, hint: body.hint, scopes: body.scopes, createdAt: body.createdAt, lastUsedAt: null }]);
    setLabel("");
  }

  async function revoke(id: string) {
    if (!(await act(`/api/tokens/${id}`, { method: "DELETE" }, "Could not revoke the token."))) return;
    setTokens((t) => t.filter((row) => row.id !== id));
  }

  return (
    <div className="stack" data-testid="token-manager">
      <p className="muted small" style={{ margin: 0 }}>
        Programs call the <a href="/api/openapi.json">Livehouse API</a> with <code>Authorization: Bearer &lt;token&gt;</code>.{" "}
        {channelId ? "A channel token reaches this channel only." : "An account token reaches all your channels."} It can do only what its scopes allow.
      </p>
      {fresh && (
        <ShownOnce testId="new-token" title={`New API token “${fresh.label}”`} advice="Copy it now and keep it somewhere safe."
          value={fresh.token} label="API token" name="new-token-value" onDone={() => setFresh(null)} />
      )}
      {tokens.length === 0 ? (
        <p className="muted small" data-testid="no-tokens">No API tokens yet.</p>
      ) : (
        <ul className="key-list" aria-label="API tokens">
          {tokens.map((t) => (
            <li key={t.id} data-testid="token-row">
              <div className="grow">
                <strong>{t.label}</strong> <code className="muted">{t.hint}</code>
                <div className="small">{t.scopes.join(", ")}</div>
                <CreatedAndUsed createdAt={t.createdAt} lastUsedAt={t.lastUsedAt} />
              </div>
              <ConfirmButton label="Revoke" confirmLabel="Revoke token" warning="Programs using it stop at once." busy={busy} onConfirm={() => revoke(t.id)} />
            </li>
          ))}
        </ul>
      )}
      <form className="stack" onSubmit={create}>
        <CheckList legend="Scopes" name="scopes" options={API_SCOPES} chosen={scopes} onChange={setScopes} />
        <NewLabelRow ariaLabel="New token label" placeholder="Label, e.g. Stats bot" value={label} onChange={setLabel} busy={busy} submit="Create API token" />
      </form>
      <ErrorAlert error={error} />
    </div>
  );
}
