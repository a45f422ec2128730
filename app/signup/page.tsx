import { redirect } from "next/navigation";
import { SignupForm } from "../_components/AuthForms.tsx";
import { currentUser } from "../_lib/auth.ts";

export const metadata = { title: "Sign up" };

export default async function SignupPage() {
  if (await currentUser()) redirect("/dashboard");
  return (
    <div className="card" style={{ maxWidth: 520, margin: "1rem auto" }}>
      <h1>Create your account</h1>
      <p className="muted">Then create a channel and get a stream key for OBS.</p>
      <SignupForm />
    </div>
  );
}
