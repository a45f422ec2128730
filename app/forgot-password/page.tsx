import Link from "next/link";
import { NO_MAIL } from "../../lib/accountRecovery.ts";
import { mailEnabled } from "../../lib/mail.ts";
import { ForgotPasswordForm } from "../_components/RecoveryForms.tsx";

export const metadata = { title: "Forgot password" };
export const dynamic = "force-dynamic";

export default function ForgotPasswordPage() {
  return (
    <div className="card" style={{ maxWidth: 520, margin: "1rem auto" }}>
      <h1>Forgot your password?</h1>
      {mailEnabled() ? (
        <>
          <p className="muted">Enter the email of your account and we will send you a link to choose a new password.</p>
          <ForgotPasswordForm />
        </>
      ) : (
        <>
          <p data-testid="no-mail">{NO_MAIL}</p>
          <p className="muted small"><Link href="/login">Back to log in</Link></p>
        </>
      )}
    </div>
  );
}
