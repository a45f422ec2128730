import { notFound } from "next/navigation";
import { instanceTotals, listAccounts } from "../../lib/admin.ts";
import { NotFoundError } from "../../lib/errors.ts";
import { mailEnabled } from "../../lib/mail.ts";
import { AccountToggle } from "../_components/AccountToggle.tsx";
import { ResetLinkButton } from "../_components/RecoveryForms.tsx";
import { requireUser } from "../_lib/auth.ts";

export const metadata = { title: "Admin" };
export const dynamic = "force-dynamic";

export default async function AdminPage() {
  const user = await requireUser("/admin");
  let data;
  try {
    data = await Promise.all([instanceTotals(user.id), listAccounts(user.id)]);
  } catch (err) {
    if (err instanceof NotFoundError) notFound();
    throw err;
  }
  const [totals, accounts] = data;
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
