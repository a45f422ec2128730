import Link from "next/link";
import { peekToken } from "../../../lib/accountTokens.ts";
import { ResetPasswordForm } from "../../_components/RecoveryForms.tsx";

export const metadata = { title: "Choose a new password" };
export const dynamic = "force-dynamic";

// Opening the link does not use it up (mail scanners open links); setting the password does.
export default async function ResetPasswordPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const link = await peekToken(token, "password-reset");
  return (
    <div className="card" style={{ maxWidth: 520, margin: "1rem auto" }}>
      <h1>Choose a new password</h1>
      {link ? (
        <>
          <p className="muted">For {link.user.email}.</p>
          <ResetPasswordForm token={token} />
        </>
      ) : (
        <>
          <p data-testid="link-invalid">This link has expired or was already used.</p>
          <p className="muted small"><Link href="/forgot-password">Ask for a new one</Link> · <Link href="/login">Log in</Link></p>
        </>
      )}
    </div>
  );
}
