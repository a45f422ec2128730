import Link from "next/link";
import { db } from "../../../lib/db.ts";
import { pendingEmailChange } from "../../../lib/accountTokens.ts";
import { listApiTokens } from "../../../lib/apiTokens.ts";
import { mailEnabled } from "../../../lib/mail.ts";
import { listSessions } from "../../../lib/sessions.ts";
import { ChangePasswordForm, DeleteAccountForm, EndOtherSessionsForm } from "../../_components/AccountForms.tsx";
import { CancelEmailChangeForm, ChangeEmailForm } from "../../_components/RecoveryForms.tsx";
import { TokenManager } from "../../_components/TokenManager.tsx";
import { currentSessionToken, requireUser } from "../../_lib/auth.ts";

export const metadata = { title: "Account" };
export const dynamic = "force-dynamic";

const when = (d: Date | null) => (d ? d.toUTCString().replace(" GMT", " UTC") : "—");

export default async function AccountPage({ searchParams }: { searchParams: Promise<{ "email-changed"?: string }> }) {
  const user = await requireUser("/dashboard/account");
  const emailChanged = Boolean((await searchParams)["email-changed"]);
  const [sessions, channels, pending, tokens] = await Promise.all([
    listSessions(user.id, await currentSessionToken()),
    db().channel.count({ where: { ownerId: user.id } }),
    pendingEmailChange(user.id),
    listApiTokens(user.id, null),
  ]);
  const others = sessions.filter((s) => !s.current).length;
  return (
    <>
      <Link href="/dashboard" className="small">← Dashboard</Link>
      <h1>Account</h1>
      <p className="muted">Signed in as <span data-testid="account-email">{user.email}</span></p>
      {emailChanged && <div className="alert alert-ok" role="status" style={{ marginBottom: "1rem" }}>Your email address was changed.</div>}

      <section className="card">
        <h2>Email</h2>
        {pending && (
          <div className="alert alert-warn small row" role="status" data-testid="email-pending" style={{ marginBottom: ".75rem", gap: ".75rem" }}>
            <span>Waiting for {pending.newEmail} to confirm (the link works until {when(pending.expiresAt)}).</span>
            <CancelEmailChangeForm />
          </div>
        )}
        <ChangeEmailForm mailEnabled={mailEnabled()} />
      </section>

      <section className="card">
        <h2>Password</h2>
        <ChangePasswordForm />
      </section>

      <section className="card" data-testid="sessions">
        <h2>Where you are logged in</h2>
        <table className="table">
          <thead>
            <tr><th>Logged in</th><th>Last seen</th><th>Expires</th><th /></tr>
          </thead>
          <tbody>
            {sessions.map((s) => (
              <tr key={s.handle} data-testid="session-row">
                <td>{when(s.createdAt)}</td>
                <td>{when(s.lastSeenAt)}</td>
                <td>{when(s.expiresAt)}</td>
                <td>{s.current ? <span className="badge">this browser</span> : null}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <EndOtherSessionsForm others={others} />
      </section>

      <section className="card" id="api-tokens">
        <h2>API tokens</h2>
        <TokenManager
          channelId={null}
          initialTokens={tokens.map((t) => ({ ...t, createdAt: t.createdAt.toISOString(), lastUsedAt: t.lastUsedAt?.toISOString() ?? null }))}
        />
      </section>

      <section className="card">
        <h2>Delete account</h2>
        <p className="muted">
          {channels === 0
            ? "Deletes your account. You have no channels. This cannot be undone."
            : `Deletes your account and everything it owns: ${channels === 1 ? "your channel" : `your ${channels} channels`}, their stream keys, replays and recordings, and closes their chat rooms. This cannot be undone.`}
        </p>
        <DeleteAccountForm email={user.email} />
      </section>
    </>
  );
}
