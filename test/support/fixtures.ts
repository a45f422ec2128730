import { randomBytes } from "node:crypto";
import { signUp } from "../../lib/accounts.ts";
import { createChannel, createStreamKey } from "../../lib/channels.ts";
import { db } from "../../lib/db.ts";
import { SESSION_COOKIE, createSession } from "../../lib/sessions.ts";

export const uniq = () => randomBytes(4).toString("hex");

export interface TestUser {
  id: string;
  email: string;
  password: string;
  displayName: string;
  cookie: string;
  token: string;
}

/** A user made through the real sign-up rules, with a live session. */
export async function makeUser(name = "user"): Promise<TestUser> {
  const id = uniq();
  const email = `${name}-${id}@test.livehouse`;
  const password = `pw-${id}-${id}`;
  const user = await signUp({ email, password, displayName: `${name} ${id}` }, `fixture-${id}`);
  const { token } = await createSession(user.id);
  return { id: user.id, email, password, displayName: user.displayName, token, cookie: `${SESSION_COOKIE}=${token}` };
}

export async function makeChannel(user: TestUser, title = "Test channel") {
  return createChannel(user.id, { slug: `ch-${uniq()}`, title, description: "", reconnectGraceMinutes: "5", ladder: "" });
}

export async function makeKey(user: TestUser, channelId: string, label = "OBS") {
  return createStreamKey(user.id, channelId, label);
}

/** A user who is the instance admin (the first account of an instance is; tests share one). */
export async function makeAdmin(name = "admin"): Promise<TestUser> {
  const admin = await makeUser(name);
  await db().user.update({ where: { id: admin.id }, data: { isAdmin: true } });
  return admin;
}
