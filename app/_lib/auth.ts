// Who is asking, for pages, server actions and route handlers. Authorization of
// what they may touch happens in lib/channels.ts, per query.
import { cache } from "react";
import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { isHttps } from "../../lib/origin.ts";
import { logOutSession } from "../../lib/logout.ts";
import { SESSION_COOKIE, createSession, userForSession, type SessionUser } from "../../lib/sessions.ts";

export const currentUser = cache(async (): Promise<SessionUser | null> => {
  const jar = await cookies();
  return userForSession(jar.get(SESSION_COOKIE)?.value);
});

export async function requireUser(returnTo?: string): Promise<SessionUser> {
  const user = await currentUser();
  if (!user) redirect(returnTo ? `/login?next=${encodeURIComponent(returnTo)}` : "/login");
  return user;
}

export async function startSession(userId: string): Promise<void> {
  const { token, expiresAt } = await createSession(userId);
  const jar = await cookies();
  jar.set(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: "lax",
    secure: isHttps(await headers()),
    path: "/",
    expires: expiresAt,
  });
}

/** This request's session token (to keep it when ending the user's other sessions). */
export async function currentSessionToken(): Promise<string | undefined> {
  return (await cookies()).get(SESSION_COOKIE)?.value;
}

export async function endSession(): Promise<void> {
  const jar = await cookies();
  const user = await currentUser();
  await logOutSession(user?.id ?? null, jar.get(SESSION_COOKIE)?.value);
  jar.delete(SESSION_COOKIE);
}

export { safeReturnPath } from "../../lib/returnPath.ts";
