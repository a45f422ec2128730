"use client";
import { useEffect, useState } from "react";
import { formatBytes, formatDate } from "../../lib/format.ts";
import { formatDuration } from "../../lib/formatDuration.ts";
import type { SessionStatsView } from "../../lib/stats/statsView.ts";
import { SessionStats } from "./SessionStats.tsx";

interface Replay {
  id: string;
  sessionId: string;
  title: string;
  durationSeconds: number;
  createdAt: string;
  exportStatus: "pending" | "running" | "ready" | "failed";
  exportProgress: number;
  exportError: string | null;
  exportBytes: number | null;
  storageBytes: number | null;
  expiresAt: string | null;
  mp4Url: string;
  markers: { at: number; label: string }[];
  /** Gone with the replay; null for sessions from before statistics were kept. */
  stats: SessionStatsView | null;
}

/** A channel's replays in the dashboard: rename, delete, export progress, MP4 download. */
export function ReplaysPanel({ channelId, slug }: { channelId: string; slug: string }) {
  const [replays, setReplays] = useState<Replay[] | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [title, setTitle] = useState("");
  const [confirming, setConfirming] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    const load = async () => {
      let busy = false;
      try {
        const res = await fetch(`/api/channels/${channelId}/replays`, { cache: "no-store" });
        if (res.ok) {
          const list = (await res.json()).replays as Replay[];
          setReplays(list);
          busy = list.some((r) => r.exportStatus === "pending" || r.exportStatus === "running");
        }
      } catch {}
      // Poll quickly while an export runs, slowly otherwise (a stream may end meanwhile).
      if (!stopped) timer = setTimeout(load, busy ? 1500 : 8000);
    };
    void load();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [channelId]);

  async function rename(id: string) {
    setError(null);
    const res = await fetch(`/api/replays/${id}`, { method: "PATCH", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ title }) });
    const body = await res.json().catch(() => null);
    if (!res.ok) return setError(body?.fields?.title ?? body?.error ?? "Could not rename the replay.");
    setReplays((rs) => rs?.map((r) => (r.id === id ? { ...r, title: body.title } : r)) ?? null);
    setEditing(null);
  }

  async function remove(id: string) {
    setError(null);
    const res = await fetch(`/api/replays/${id}`, { method: "DELETE" });
    setConfirming(null);
    if (!res.ok) return setError("Could not delete the replay.");
    setReplays((rs) => rs?.filter((r) => r.id !== id) ?? null);
  }

  if (replays === null) return <p className="small muted">Loading replays…</p>;
  return (
    <div className="stack" data-testid="replays-panel">
      {error && <div className="alert alert-error" role="alert">{error}</div>}
      {replays.length === 0 ? (
        <p className="small muted" data-testid="no-replays">No replays yet. When a stream ends, its replay appears here within seconds.</p>
      ) : (
        <ul className="key-list" aria-label="Replays">
          {replays.map((r) => (
            <li key={r.id} data-testid="replay-row">
              <div className="grow">
                {editing === r.id ? (
                  <form className="row" onSubmit={(e) => (e.preventDefault(), void rename(r.id))}>
                    <input type="text" aria-label="Replay title" value={title} maxLength={100} onChange={(e) => setTitle(e.target.value)} className="grow" />
                    <button className="btn btn-primary btn-small" type="submit">Save</button>
                    <button className="btn btn-small" type="button" onClick={() => setEditing(null)}>Cancel</button>
                  </form>
                ) : (
                  <a href={`/c/${slug}/replays/${r.id}`} className="title-text" data-testid="replay-title">{r.title}</a>
                )}
                <div className="muted small">
                  {formatDate(r.createdAt)} · {formatDuration(r.durationSeconds)}
                  {r.markers.length > 0 && ` · ${r.markers.length} reconnect${r.markers.length > 1 ? "s" : ""}`}
                  {r.storageBytes !== null && <span data-testid="replay-size"> · {formatBytes(r.storageBytes)} stored</span>}
                  {r.expiresAt && <span data-testid="replay-expires"> · deleted {formatDate(r.expiresAt)}</span>}
                  {" · "}
                  <span data-testid="export-status">
                    {r.exportStatus === "ready" ? (
                      <a href={r.mp4Url} download>Download MP4{r.exportBytes ? ` (${(r.exportBytes / 1e6).toFixed(1)} MB)` : ""}</a>
                    ) : r.exportStatus === "failed" ? (
                      <span className="field-error">MP4 export failed: {r.exportError}</span>
                    ) : (
                      <>
                        Preparing MP4… {Math.round(r.exportProgress * 100)}%
                        <progress max={1} value={r.exportProgress} style={{ marginLeft: 8, verticalAlign: "middle" }} aria-label="MP4 export progress" />
                      </>
                    )}
                  </span>
                </div>
                {r.stats && (
                  <details className="replay-stats small" data-testid="replay-stats">
                    <summary>
                      Statistics: peak {r.stats.peakViewers} · {r.stats.uniqueViewers} unique · {r.stats.chatMessages} chat message{r.stats.chatMessages === 1 ? "" : "s"}
                    </summary>
                    <SessionStats stats={r.stats} />
                  </details>
                )}
              </div>
              {confirming === r.id ? (
                <div className="row">
                  <span className="small">Delete this replay and its files?</span>
                  <button type="button" className="btn btn-danger solid btn-small" onClick={() => void remove(r.id)}>Delete replay</button>
                  <button type="button" className="btn btn-small" onClick={() => setConfirming(null)}>Cancel</button>
                </div>
              ) : (
                editing !== r.id && (
                  <div className="row">
                    <button type="button" className="btn btn-small" onClick={() => (setEditing(r.id), setTitle(r.title))}>Rename</button>
                    <button type="button" className="btn btn-danger btn-small" onClick={() => setConfirming(r.id)}>Delete</button>
                  </div>
                )
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
