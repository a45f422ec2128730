import Link from "next/link";
import { peekToken } from "../../../lib/accountTokens.ts";
import { ConfirmEmailForm } from "../../_components/RecoveryForms.tsx";

export const metadata = { title: "Confirm your new email" };
export const dynamic = "force-dynamic";

// A button, not a GET: mail scanners that open the link do not confirm anything.
export default async function ConfirmEmailPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const link = await peekToken(token, "email-change");
  return (
    <div className="card" style={{ maxWidth: 520, margin: "1rem auto" }}>
      <h1>Confirm your new email</h1>
      {link?.newEmail ? (
        <>
          <p>Change the email of your account from {link.user.email} to <strong>{link.newEmail}</strong>?</p>
          <ConfirmEmailForm token={token} />
        </>
      ) : (
        <>
          <p data-testid="link-invalid">This link has expired or was already used.</p>
          <p className="muted small"><Link href="/dashboard/account">Your account</Link></p>
        </>
      )}
    </div>
  );
}
