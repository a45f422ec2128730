import { redirect } from "next/navigation";
import { LoginForm } from "../_components/AuthForms.tsx";
import { currentUser, safeReturnPath } from "../_lib/auth.ts";

export const metadata = { title: "Log in" };

const NOTICES: Record<string, string> = {
  reset: "Your password was changed and you were logged out everywhere. Log in with the new one.",
  "email-changed": "Your email address was changed. Log in with the new one.",
};

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ next?: string; reset?: string; "email-changed"?: string }> }) {
  const params = await searchParams;
  const next = safeReturnPath(params.next);
  if (await currentUser()) redirect(next);
  const notice = params.reset ? NOTICES.reset : params["email-changed"] ? NOTICES["email-changed"] : null;
  return (
    <div className="card" style={{ maxWidth: 520, margin: "1rem auto" }}>
      <h1>Log in</h1>
      {notice && <div className="alert alert-ok" role="status" style={{ marginBottom: "1rem" }}>{notice}</div>}
      <LoginForm next={next} />
    </div>
  );
}
