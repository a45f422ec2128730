"use client";
import { useEffect, useState, type FormEvent } from "react";
import { formatDate } from "../../../lib/format.ts";
import { CopyField } from "../CopyField.tsx";
import { Field, FormError } from "../Field.tsx";
import { apiCall } from "../apiCall.ts";

export interface ChatState {
  roomId: string | null;
  alias: string;
  slowModeSeconds: number;
  wordFilter: string[];
  messageCount: number;
  moderators: { matrixUserId: string; grantedAt: string }[];
  bans: { matrixUserId: string; reason: string; until: string | null; createdAt: string }[];
}

function remaining(until: string, now: number): string {
  const s = Math.max(0, Math.ceil((new Date(until).getTime() - now) / 1000));
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min left`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${s % 60} s left`;
  return `${s} s left`;
}

/** The dashboard's Chat card: settings, moderators, bans and timeouts of one channel's room. */
export function ChatSettings({ channelId, slug, initial }: { channelId: string; slug: string; initial: ChatState }) {
  const [state, setState] = useState(initial);
  const [slow, setSlow] = useState(String(initial.slowModeSeconds));
  const [words, setWords] = useState(initial.wordFilter.join("\n"));
  const [fields, setFields] = useState<Record<string, string>>({});
  const [saveError, setSaveError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [modId, setModId] = useState("");
  const [listError, setListError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // Only for showing how long timeouts have left; renders after hydration so server and browser agree.
  const [now, setNow] = useState<number | null>(null);

  const hasTimeouts = state.bans.some((b) => b.until);
  useEffect(() => {
    setNow(Date.now());
    if (!hasTimeouts) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [hasTimeouts]);

  async function reload() {
    const { ok, body } = await apiCall(`/api/channels/${channelId}/chat`, { method: "GET" });
    if (ok) setState(body as ChatState);
  }

  async function save(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setSaved(false);
    setSaveError(null);
    setFields({});
    const seconds = slow.trim() === "" ? 0 : Number(slow);
    const { ok, body } = await apiCall(`/api/channels/${channelId}/chat`, {
      method: "PUT",
      body: JSON.stringify({ slowModeSeconds: Number.isFinite(seconds) ? seconds : -1, wordFilter: words }),
    });
    setBusy(false);
    if (!ok) {
      setFields(body?.fields ?? {});
      return setSaveError(body?.fields ? "Check the fields below." : (body?.error ?? "Could not save the chat settings."));
    }
    setState((s) => ({ ...s, slowModeSeconds: body.slowModeSeconds, wordFilter: body.wordFilter }));
    setSlow(String(body.slowModeSeconds));
    setWords((body.wordFilter as string[]).join("\n"));
    setSaved(true);
  }

  async function moderate(cmd: Record<string, unknown>, fallback: string): Promise<boolean> {
    setBusy(true);
    setListError(null);
    const { ok, body } = await apiCall(`/api/channels/${channelId}/chat/moderate`, { method: "POST", body: JSON.stringify(cmd) });
    setBusy(false);
    if (!ok) {
      setListError(body?.error ?? fallback);
      return false;
    }
    await reload();
    return true;
  }

  async function addModerator(e: FormEvent) {
    e.preventDefault();
    const userId = modId.trim();
    if (!userId) return;
    if (await moderate({ action: "moderator", userId, grant: true }, "Could not add the moderator.")) setModId("");
  }

  const activeBans = state.bans.filter((b) => !b.until || now === null || new Date(b.until).getTime() > now);

  return (
    <div className="stack chat-settings" data-testid="chat-settings">
      {state.roomId ? (
        <dl className="facts small">
          <dt>Room</dt>
          <dd>
            <CopyField value={state.alias} label="room address" name="chat-room-alias" />
          </dd>
          <dt>Messages</dt>
          <dd data-testid="chat-message-count">{state.messageCount}</dd>
          <dt>Chat-only page</dt>
          <dd>
            <a href={`/c/${slug}/chat`} target="_blank" rel="noopener" data-testid="chat-embed-link">
              /c/{slug}/chat
            </a>
            <div className="muted">For OBS browser sources, or an iframe on your own site.</div>
          </dd>
        </dl>
      ) : (
        <p className="small muted">The chat room is being set up. Reload in a moment.</p>
      )}

      <form className="form" onSubmit={save} noValidate>
        <FormError message={saveError ?? undefined} />
        {saved && (
          <div className="alert alert-ok" role="status" data-testid="chat-settings-saved">
            Chat settings saved.
          </div>
        )}
        <Field
          name="slowModeSeconds"
          label="Slow mode (seconds)"
          type="number"
          min={0}
          max={3600}
          inputMode="numeric"
          value={slow}
          onChange={(e) => setSlow(e.target.value)}
          hint="Each chatter may post once per this many seconds. 0 turns slow mode off. You and your moderators are exempt."
          error={fields.slowModeSeconds}
        />
        <Field
          name="wordFilter"
          label="Word filter"
          multiline
          value={words}
          onChange={(e) => setWords(e.target.value)}
          hint="One word or phrase per line. Messages containing them are removed, in any Matrix client."
          error={fields.wordFilter}
        />
        <div>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            Save chat settings
          </button>
        </div>
      </form>

      <h3>Moderators</h3>
      {listError && (
        <div className="alert alert-error" role="alert" data-testid="chat-mod-error">
          {listError}
        </div>
      )}
      {state.moderators.length === 0 ? (
        <p className="small muted" data-testid="no-moderators">
          No moderators yet. Moderators can delete messages, time out, kick and ban chatters.
        </p>
      ) : (
        <ul className="key-list mod-list" aria-label="Moderators">
          {state.moderators.map((m) => (
            <li key={m.matrixUserId} data-testid="moderator-row">
              <div className="grow">
                <span className="mono">{m.matrixUserId}</span>
                <div className="small muted">since {formatDate(m.grantedAt)}</div>
              </div>
              <button
                type="button"
                className="btn btn-danger btn-small"
                disabled={busy}
                aria-label={`Revoke moderator ${m.matrixUserId}`}
                onClick={() => void moderate({ action: "moderator", userId: m.matrixUserId, grant: false }, "Could not revoke the moderator.")}
              >
                Revoke
              </button>
            </li>
          ))}
        </ul>
      )}
      <form className="row" onSubmit={addModerator}>
        <input
          type="text"
          className="grow"
          aria-label="Matrix user id of the new moderator"
          placeholder="@someone:example.org"
          value={modId}
          onChange={(e) => setModId(e.target.value)}
          autoComplete="off"
          spellCheck={false}
          data-testid="moderator-input"
        />
        <button type="submit" className="btn" disabled={busy || !modId.trim()}>
          Add moderator
        </button>
      </form>

      <h3>Bans and timeouts</h3>
      {activeBans.length === 0 ? (
        <p className="small muted" data-testid="no-bans">
          Nobody is banned or timed out.
        </p>
      ) : (
        <ul className="key-list mod-list" aria-label="Bans and timeouts">
          {activeBans.map((b) => (
            <li key={b.matrixUserId} data-testid="ban-row" data-user={b.matrixUserId}>
              <div className="grow">
                <span className="mono">{b.matrixUserId}</span>
                <div className="small muted">
                  {b.until ? <span data-testid="ban-remaining">Timed out · {now === null ? "…" : remaining(b.until, now)}</span> : <span>Banned</span>}
                  {b.reason ? ` · ${b.reason}` : ""} · since {formatDate(b.createdAt)}
                </div>
              </div>
              <button
                type="button"
                className="btn btn-small"
                disabled={busy}
                aria-label={`Unban ${b.matrixUserId}`}
                onClick={() => void moderate({ action: "unban", userId: b.matrixUserId }, "Could not lift the ban.")}
              >
                Unban
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
