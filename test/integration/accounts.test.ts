// Sign-up and log-in rules on the real PostgreSQL and Redis.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LOGIN_FAILED, logIn, signUp } from "../../lib/accounts.ts";
import { config } from "../../lib/config.ts";
import { db } from "../../lib/db.ts";
import { ValidationError } from "../../lib/errors.ts";
import { SESSION_COOKIE, createSession, deleteSession, userForSession } from "../../lib/sessions.ts";
import { closeConnectionsAfter } from "../support/env.ts";
import { uniq } from "../support/fixtures.ts";

closeConnectionsAfter();

async function refusal(p: Promise<unknown>): Promise<Record<string, string>> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ValidationError) return err.fields;
    throw err;
  }
  assert.fail("expected a refusal");
}

describe("accounts", () => {
  it("stores an argon2id hash with the OWASP parameters, never the password", async () => {
    const email = `hash-${uniq()}@test.livehouse`;
    const u = await signUp({ email, password: "a long enough password", displayName: "H" }, `ip-${uniq()}`);
    const row = await db().user.findUniqueOrThrow({ where: { id: u.id } });
    assert.match(row.passwordHash, /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    assert.ok(!row.passwordHash.includes("a long enough password"));
  });

  it("makes exactly one instance admin, the first account", async () => {
    const admins = await db().user.count({ where: { isAdmin: true } });
    assert.equal(admins, 1);
    const first = await db().user.findFirstOrThrow({ orderBy: { createdAt: "asc" } });
    assert.equal(first.isAdmin, true);
  });

  it("refuses a second account with the same email, case-insensitively, and saves nothing", async () => {
    const email = `dup-${uniq()}@test.livehouse`;
    await signUp({ email, password: "first password!", displayName: "One" }, `ip-${uniq()}`);
    const e = await refusal(signUp({ email: email.toUpperCase(), password: "second password", displayName: "Two" }, `ip-${uniq()}`));
    assert.match(e.email, /already exists/);
    assert.equal(await db().user.count({ where: { email } }), 1);
  });

  it("logs in with the right password and gives the same message for a wrong password and an unknown email", async () => {
    const email = `login-${uniq()}@test.livehouse`;
    await signUp({ email, password: "right password", displayName: "L" }, `ip-${uniq()}`);
    const ok = await logIn({ email: ` ${email.toUpperCase()} `, password: "right password" }, `ip-${uniq()}`);
    assert.equal(ok.email, email);
    const wrong = await refusal(logIn({ email, password: "wrong password" }, `ip-${uniq()}`));
    const unknown = await refusal(logIn({ email: `nobody-${uniq()}@test.livehouse`, password: "whatever" }, `ip-${uniq()}`));
    assert.equal(wrong[""], LOGIN_FAILED);
    assert.deepEqual(unknown, wrong);
  });

  it("locks an account after repeated failures, from any address, with the same message for unknown accounts", async () => {
    const email = `lock-${uniq()}@test.livehouse`;
    await signUp({ email, password: "right password", displayName: "L" }, `ip-${uniq()}`);
    const ghost = `ghost-${uniq()}@test.livehouse`;
    for (let i = 0; i < config.loginMaxFailuresPerAccount; i++) {
      await refusal(logIn({ email, password: `wrong ${i}` }, `ip-${uniq()}`));
      await refusal(logIn({ email: ghost, password: `wrong ${i}` }, `ip-${uniq()}`));
    }
    const locked = await refusal(logIn({ email, password: "right password" }, `ip-${uniq()}`));
    assert.match(locked[""], /Too many failed sign-in attempts\. Try again in \d+ minutes?\./);
    const ghostLocked = await refusal(logIn({ email: ghost, password: "anything" }, `ip-${uniq()}`));
    assert.equal(ghostLocked[""], locked[""]);
  });

  it("limits failures per address across accounts", async () => {
    const ip = `ip-${uniq()}`;
    const email = `victim-${uniq()}@test.livehouse`;
    await signUp({ email, password: "right password", displayName: "V" }, `ip-${uniq()}`);
    for (let i = 0; i < config.loginMaxFailuresPerIp; i++) {
      await refusal(logIn({ email: `spray-${i}-${uniq()}@test.livehouse`, password: "guess" }, ip));
    }
    assert.match((await refusal(logIn({ email, password: "right password" }, ip)))[""], /Too many/);
    // Another address is not affected.
    assert.equal((await logIn({ email, password: "right password" }, `ip-${uniq()}`)).email, email);
  });

  it("limits sign-ups per address", async () => {
    const ip = `ip-${uniq()}`;
    for (let i = 0; i < config.signupMaxPerIpPerHour; i++) {
      await signUp({ email: `burst-${i}-${uniq()}@test.livehouse`, password: "a fine password", displayName: "B" }, ip);
    }
    const e = await refusal(signUp({ email: `burst-x-${uniq()}@test.livehouse`, password: "a fine password", displayName: "B" }, ip));
    assert.match(e[""], /Too many sign-ups/);
  });

  it("sessions resolve to their user until deleted or expired, and only a token hash is stored", async () => {
    const u = await signUp({ email: `sess-${uniq()}@test.livehouse`, password: "session password", displayName: "S" }, `ip-${uniq()}`);
    const { token } = await createSession(u.id);
    assert.equal((await userForSession(token))?.id, u.id);
    assert.equal(await db().session.count({ where: { id: token } }), 0, "raw token must not be the stored id");
    await deleteSession(token);
    assert.equal(await userForSession(token), null);
    const { token: old } = await createSession(u.id);
    await db().session.updateMany({ where: { userId: u.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    assert.equal(await userForSession(old), null);
    assert.equal(await userForSession("x".repeat(500)), null);
    assert.equal(SESSION_COOKIE, "lh_session");
  });
});
