import type { Metadata, Viewport } from "next";
import Link from "next/link";
import "./globals.css";
import { currentUser } from "./_lib/auth.ts";
import { logoutAction } from "./actions.ts";

export const metadata: Metadata = {
  title: { default: "Livehouse", template: "%s · Livehouse" },
  description: "Self-hosted live streaming with federated chat",
};
export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default async function RootLayout({ children }: { children: React.ReactNode }) {
  const user = await currentUser();
  return (
    <html lang="en">
      <body>
        <header className="site-header">
          <Link href="/" className="brand">
            Live<span>house</span>
          </Link>
          <nav className="nav" aria-label="Main">
            {user ? (
              <>
                <span className="who">{user.displayName}</span>
                <Link href="/dashboard">Dashboard</Link>
                {user.isAdmin && <Link href="/admin">Admin</Link>}
                <form action={logoutAction}>
                  <button className="btn btn-small" type="submit">
                    Log out
                  </button>
                </form>
              </>
            ) : (
              <>
                <Link href="/login">Log in</Link>
                <Link href="/signup" className="btn btn-primary btn-small">
                  Sign up
                </Link>
              </>
            )}
          </nav>
        </header>
        <main>{children}</main>
        <footer className="site-footer">Livehouse — self-hosted live streaming with federated chat</footer>
      </body>
    </html>
  );
}
