"use client";
import { useRouter } from "next/navigation";
import { useState } from "react";

async function post(url: string, body: unknown): Promise<{ ok: boolean; body: any }> {
  try {
    const res = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    return { ok: res.ok, body: await res.json().catch(() => null) };
  } catch {
    return { ok: false, body: { error: "Network error. Check your connection and try again." } };
  }
}

/** One button that posts, then reloads the page's data (or says why it could not). */
function ActionButton({ url, body, label, busyLabel, ariaLabel, danger, confirm }: { url: string; body: unknown; label: string; busyLabel: string; ariaLabel: string; danger?: boolean; confirm?: string }) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [asking, setAsking] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function run() {
    setBusy(true);
    setError(null);
    const res = await post(url, body);
    setBusy(false);
    setAsking(false);
    if (!res.ok) return setError(res.body?.error ?? "That did not work. Try again.");
    router.refresh();
  }

  if (confirm && asking) {
    return (
      <span className="row">
        <span className="small">{confirm}</span>
        <button type="button" className="btn btn-small btn-danger solid" disabled={busy} onClick={run} aria-label={`Yes, ${ariaLabel}`}>
          {busy ? busyLabel : "Yes"}
        </button>
        <button type="button" className="btn btn-small" disabled={busy} onClick={() => setAsking(false)}>
          No
        </button>
      </span>
    );
  }
  return (
    <span>
      <button type="button" className={danger ? "btn btn-small btn-danger" : "btn btn-small"} disabled={busy} onClick={confirm ? () => setAsking(true) : run} aria-label={ariaLabel}>
        {busy ? busyLabel : label}
      </button>
      {error && <span className="field-error" role="alert"> {error}</span>}
    </span>
  );
}

export function RetryJobButton({ queue, jobId, label }: { queue: string; jobId: string; label: string }) {
  return <ActionButton url="/api/admin/jobs/retry" body={{ queue, jobId }} label="Retry" busyLabel="Retrying…" ariaLabel={`Retry ${label}`} />;
}

export function RemoveJobButton({ queue, jobId, label }: { queue: string; jobId: string; label: string }) {
  return <ActionButton url="/api/admin/jobs/remove" body={{ queue, jobId }} label="Remove" busyLabel="Removing…" ariaLabel={`Remove ${label}`} danger confirm="Remove it for good?" />;
}

export function RetryAllButton({ queue, failed }: { queue: string; failed: number }) {
  return <ActionButton url="/api/admin/queues/retry-failed" body={{ queue }} label={`Retry all ${failed} failed`} busyLabel="Retrying…" ariaLabel={`Retry all failed jobs of ${queue}`} />;
}
