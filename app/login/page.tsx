import { redirect } from "next/navigation";
import { LoginForm } from "../_components/AuthForms.tsx";
import { currentUser, safeReturnPath } from "../_lib/auth.ts";

export const metadata = { title: "Log in" };

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  const next = safeReturnPath((await searchParams).next);
  if (await currentUser()) redirect(next);
  return (
    <div className="card" style={{ maxWidth: 520, margin: "1rem auto" }}>
      <h1>Log in</h1>
      <LoginForm next={next} />
    </div>
  );
}
