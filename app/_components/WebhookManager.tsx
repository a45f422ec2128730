"use client";
import { useCallback, useEffect, useState } from "react";
import { formatDate } from "../../lib/format.ts";
import { WEBHOOK_EVENTS, WEBHOOK_EVENT_NAMES, type WebhookEventType } from "../../lib/webhooks/eventTypes.ts";
import { apiCall, useApiAction } from "./apiCall.ts";
import { CheckList } from "./CheckList.tsx";
import { ConfirmButton, ErrorAlert, ShownOnce } from "./SecretParts.tsx";

export interface WebhookRow {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
  secretHint: string;
  previousSecretUntil: string | null;
  createdAt: string;
}

interface Delivery {
  id: string;
  eventId: string;
  eventType: string;
  body: string;
  status: "pending" | "retrying" | "succeeded" | "failed";
  attempts: number;
  responseStatus: number | null;
  durationMs: number | null;
  responseSnippet: string | null;
  error: string | null;
  redelivery: boolean;
  createdAt: string;
  lastAttemptAt: string | null;
}

const STATUS_LABEL: Record<Delivery["status"], string> = { pending: "queued", retrying: "retrying", succeeded: "delivered", failed: "failed" };

/** One webhook's delivery log: refreshed every few seconds while open, with Send again. */
function DeliveryLog({ webhookId, refreshKey }: { webhookId: string; refreshKey: number }) {
  const [deliveries, setDeliveries] = useState<Delivery[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(async () => {
    const { ok, body } = await apiCall(`/api/webhooks/${webhookId}/deliveries`);
    if (!ok) return setError(body?.error ?? "Could not load the delivery log.");
    setError(null);
    setDeliveries(body.deliveries);
  }, [webhookId]);
  useEffect(() => {
    void load();
    const t = setInterval(load, 3000);
    return () => clearInterval(t);
  }, [load, refreshKey]);

  async function resend(id: string) {
    const { ok, body } = await apiCall(`/api/webhook-deliveries/${id}/resend`, { method: "POST" });
    if (!ok) return setError(body?.error ?? "Could not send it again.");
    await load();
  }

  if (error) return <div className="alert alert-error small" role="alert">{error}</div>;
  if (!deliveries) return <p className="muted small">Loading…</p>;
  if (deliveries.length === 0) return <p className="muted small" data-testid="no-deliveries">Nothing sent yet.</p>;
  return (
    <table className="table" data-testid="delivery-log">
      <thead>
        <tr><th>When</th><th>Event</th><th>Result</th><th>Attempts</th><th>Time</th><th>Answer</th><th /></tr>
      </thead>
      <tbody>
        {deliveries.map((d) => (
          <tr key={d.id} data-testid="delivery-row" data-status={d.status} data-event={d.eventType}>
            <td className="small">{formatDate(d.createdAt)}{d.redelivery ? " (sent again)" : ""}</td>
            <td><code className="small">{d.eventType}</code></td>
            <td>
              <span className="badge">{STATUS_LABEL[d.status]}</span> {d.responseStatus !== null && <code data-testid="delivery-code">{d.responseStatus}</code>}
            </td>
            <td>{d.attempts}</td>
            <td className="small">{d.durationMs !== null ? `${d.durationMs} ms` : "—"}</td>
            <td className="small">
              {d.error && <div>{d.error}</div>}
              {d.responseSnippet && <code className="muted">{d.responseSnippet.slice(0, 200)}</code>}
            </td>
            <td>
              <button type="button" className="btn btn-small" onClick={() => resend(d.id)}>Send again</button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A channel's webhooks: add (secret shown once), pause, test, rotate the secret, delete, and each one's delivery log. */
export function WebhookManager({ channelId, initialWebhooks }: { channelId: string; initialWebhooks: WebhookRow[] }) {
  const [hooks, setHooks] = useState(initialWebhooks);
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<WebhookEventType[]>([...WEBHOOK_EVENT_NAMES]);
  const { busy, error, act } = useApiAction();
  const [secret, setSecret] = useState<{ url: string; secret: string; rotated: boolean } | null>(null);
  const [openLog, setOpenLog] = useState<string | null>(null);
  const [refresh, setRefresh] = useState(0);

  const replace = (row: WebhookRow) => setHooks((hs) => hs.map((h) => (h.id === row.id ? row : h)));

  async function add(e: React.FormEvent) {
    e.preventDefault();
    const body = await act(`/api/channels/${channelId}/webhooks`, { method: "POST", body: JSON.stringify({ url, events }) }, "Could not add the webhook.");
    if (!body) return;
    const { secret: s, ...row } = body;
    setHooks((hs) => [...hs, row]);
    setSecret({ url: row.url, secret: s, rotated: false });
    setUrl("");
  }

  async function setEnabled(h: WebhookRow, enabled: boolean) {
    const body = await act(`/api/webhooks/${h.id}`, { method: "PATCH", body: JSON.stringify({ enabled }) }, "Could not save.");
    if (body) replace(body);
  }

  async function rotate(h: WebhookRow) {
    const body = await act(`/api/webhooks/${h.id}/secret`, { method: "POST" }, "Could not rotate the secret.");
    if (!body) return;
    const { secret: s, ...row } = body;
    replace(row);
    setSecret({ url: row.url, secret: s, rotated: true });
  }

  async function test(h: WebhookRow) {
    if (!(await act(`/api/webhooks/${h.id}/test`, { method: "POST" }, "Could not send a test event."))) return;
    setOpenLog(h.id);
    setRefresh((n) => n + 1);
  }

  async function remove(h: WebhookRow) {
    if (!(await act(`/api/webhooks/${h.id}`, { method: "DELETE" }, "Could not delete the webhook."))) return;
    setHooks((hs) => hs.filter((x) => x.id !== h.id));
  }

  return (
    <div className="stack" data-testid="webhook-manager">
      <p className="muted small" style={{ margin: 0 }}>
        Livehouse POSTs each event as JSON, signed in the <code>X-Livehouse-Signature</code> header with the webhook&apos;s secret
        (see the README&apos;s “API tokens and webhooks”). Failed deliveries are retried for a few hours.
      </p>
      {secret && (
        <ShownOnce testId="new-webhook-secret" title={`${secret.rotated ? "New signing secret" : "Webhook added"} for ${secret.url}`}
          advice={`Copy the signing secret into your receiver now.${secret.rotated ? " The previous secret also signs for another 24 hours." : ""}`}
          value={secret.secret} label="signing secret" name="webhook-secret-value" onDone={() => setSecret(null)} />
      )}
      {hooks.length === 0 ? (
        <p className="muted small" data-testid="no-webhooks">No webhooks yet.</p>
      ) : (
        <ul className="key-list" aria-label="Webhooks">
          {hooks.map((h) => (
            <li key={h.id} data-testid="webhook-row" style={{ display: "block" }}>
              <div className="row">
                <div className="grow">
                  <code style={{ overflowWrap: "anywhere" }}>{h.url}</code> {!h.enabled && <span className="badge">paused</span>}
                  <div className="small">{h.events.join(", ")}</div>
                  <div className="muted small">Secret {h.secretHint} · Added {formatDate(h.createdAt)}</div>
                </div>
                <div className="row">
                  <button type="button" className="btn btn-small" disabled={busy} onClick={() => test(h)}>Send test event</button>
                  <button type="button" className="btn btn-small" onClick={() => setOpenLog(openLog === h.id ? null : h.id)}>
                    {openLog === h.id ? "Hide deliveries" : "Deliveries"}
                  </button>
                  <button type="button" className="btn btn-small" disabled={busy} onClick={() => setEnabled(h, !h.enabled)}>{h.enabled ? "Pause" : "Resume"}</button>
                  <button type="button" className="btn btn-small" disabled={busy} onClick={() => rotate(h)}>Rotate secret</button>
                  <ConfirmButton label="Delete" confirmLabel="Delete webhook" busy={busy} onConfirm={() => remove(h)} />
                </div>
              </div>
              {openLog === h.id && <DeliveryLog webhookId={h.id} refreshKey={refresh} />}
            </li>
          ))}
        </ul>
      )}
      <form className="stack" onSubmit={add}>
        <CheckList legend="Events" name="events" options={WEBHOOK_EVENTS} chosen={events} onChange={setEvents} />
        <div className="row">
          <input type="url" className="grow" name="url" aria-label="Webhook URL" placeholder="https://example.org/livehouse-hook" required
            value={url} onChange={(e) => setUrl(e.target.value)} style={{ minWidth: 220 }} />
          <button type="submit" className="btn btn-primary" disabled={busy}>{busy ? "Working…" : "Add webhook"}</button>
        </div>
      </form>
      <ErrorAlert error={error} />
    </div>
  );
}
