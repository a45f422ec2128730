import Link from "next/link";
import { notFound } from "next/navigation";
import { instanceTotals, listAccounts } from "../../lib/admin.ts";
import { NotFoundError } from "../../lib/errors.ts";
import { mailEnabled } from "../../lib/mail.ts";
import { config } from "../../lib/config.ts";
import { formatBytes, formatDate } from "../../lib/format.ts";
import { readStorageUsage, storageFull } from "../../lib/media/storageHealth.ts";
import { AccountToggle } from "../_components/AccountToggle.tsx";
import { ResetLinkButton } from "../_components/RecoveryForms.tsx";
import { requireUser } from "../_lib/auth.ts";

export const metadata = { title: "Admin" };
export const dynamic = "force-dynamic";

export default async function AdminPage() {
  const user = await requireUser("/admin");
  let data;
  try {
    data = await Promise.all([instanceTotals(user.id), listAccounts(user.id), readStorageUsage(), storageFull()]);
  } catch (err) {
    if (err instanceof NotFoundError) notFound();
    throw err;
  }
  const [totals, accounts, usage, full] = data;
  const mail = mailEnabled();
  return (
    <>
      <h1>Instance</h1>
      <div className="row" data-testid="totals" style={{ gap: "1.5rem", marginBottom: "1rem" }}>
        <span><strong>{totals.users}</strong> accounts{totals.disabled ? ` (${totals.disabled} disabled)` : ""}</span>
        <span><strong>{totals.channels}</strong> channels</span>
        <span><strong>{totals.live}</strong> live now</span>
        <span><strong>{totals.replays}</strong> replays</span>
      </div>
      <section className="card" data-testid="media-storage">
        <h2>Media storage</h2>
        {full && (
          <div className="alert alert-error small" role="alert" data-testid="storage-full">
            <strong>The media storage is full</strong> (since {formatDate(new Date(full.since))}: {full.detail}). Live streams stall until there is room; nothing is lost.
            Delete replays, lower the retention, or give the store more space.
          </div>
        )}
        <p className="small" style={{ margin: 0 }}>
          {usage ? (
            <>
              <strong>{formatBytes(usage.bytes)}</strong> in the {config.mediaStore === "s3" ? "bucket" : "media directory"} ({usage.replays} replays, {formatBytes(usage.liveBytes)} of live media)
              {usage.budgetBytes > 0 ? <> of a <strong>{formatBytes(usage.budgetBytes)}</strong> budget: the oldest replays are deleted first when it is full.</> : <>; no budget set (MEDIA_BUDGET_GB).</>}
              {" "}Replays are kept {config.replayRetentionDays > 0 ? `${config.replayRetentionDays} days` : "until deleted"} unless a channel sets its own retention.
            </>
          ) : (
            "Not measured yet: a worker measures the store every minute."
          )}
        </p>
      </section>
      <section className="card">
        <h2>Background jobs</h2>
        <p className="muted small">
          Transcodes, replay exports, chat and session upkeep run as queued jobs.{" "}
          <Link href="/admin/jobs">Queues, running jobs and failed jobs (retry or remove) →</Link>
        </p>
      </section>
      <section className="card">
        <h2>Accounts</h2>
        <p className="muted small">
          A disabled account cannot log in or stream; disabling it logs it out everywhere and ends its live streams.
          A reset link lets someone who cannot log in choose a new password{mail ? "" : " (this instance sends no email, so this is how people get back in)"}.
        </p>
        <table className="table">
          <thead>
            <tr><th>Email</th><th>Name</th><th>Channels</th><th>Since</th><th>State</th><th /><th /></tr>
          </thead>
          <tbody>
            {accounts.map((a) => (
              <tr key={a.id} data-testid="account-row">
                <td>{a.email}</td>
                <td>{a.displayName}</td>
                <td>{a.channels}</td>
                <td>{a.createdAt.toISOString().slice(0, 10)}</td>
                <td>{a.disabledAt ? <span className="badge">disabled</span> : a.isAdmin ? <span className="badge">admin</span> : "active"}</td>
                <td>{a.disabledAt ? null : <ResetLinkButton userId={a.id} label={a.email} />}</td>
                <td>{a.id === user.id ? null : <AccountToggle userId={a.id} disabled={Boolean(a.disabledAt)} label={a.email} />}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}
