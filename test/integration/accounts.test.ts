// Sign-up and log-in rules on the real PostgreSQL and Redis.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LOGIN_FAILED, logIn, loginDelayMs, signUp, takeLoginNotice } from "../../lib/accounts.ts";
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

  it("makes the first account the instance admin, and no later one", async () => {
    // Other test files promote users of their own to admin, so this does not count admins.
    const first = await db().user.findFirstOrThrow({ orderBy: { createdAt: "asc" } });
    assert.equal(first.isAdmin, true);
    const later = await Promise.all(
      Array.from({ length: 5 }, () => signUp({ email: `later-${uniq()}@test.livehouse`, password: "a fine password", displayName: "Later" }, `ip-${uniq()}`)),
    );
    assert.deepEqual(later.map((u) => u.isAdmin), [false, false, false, false, false]);
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

  it("failures from one address lock that address out of the account (same message for unknown accounts), not the owner elsewhere", async () => {
    const email = `lock-${uniq()}@test.livehouse`;
    await signUp({ email, password: "right password", displayName: "L" }, `ip-${uniq()}`);
    const ghost = `ghost-${uniq()}@test.livehouse`;
    const attacker = `ip-${uniq()}`;
    for (let i = 0; i < config.loginMaxFailuresPerAccount; i++) {
      await refusal(logIn({ email, password: `wrong ${i}` }, attacker));
      await refusal(logIn({ email: ghost, password: `wrong ${i}` }, attacker));
    }
    const locked = await refusal(logIn({ email, password: "right password" }, attacker));
    assert.match(locked[""], /Too many failed sign-in attempts\. Try again in \d+ minutes?\./);
    const ghostLocked = await refusal(logIn({ email: ghost, password: "anything" }, attacker));
    assert.equal(ghostLocked[""], locked[""]);
    // The owner, from their own address, still gets in.
    assert.equal((await logIn({ email, password: "right password" }, `ip-${uniq()}`)).email, email);
  });

  it("failures from many addresses slow the account down but never lock the owner out, and the owner is told", async () => {
    const email = `spread-${uniq()}@test.livehouse`;
    const user = await signUp({ email, password: "right password", displayName: "S" }, `ip-${uniq()}`);
    const failures = config.loginSlowAfterFailures + 2;
    for (let i = 0; i < failures; i++) await refusal(logIn({ email, password: `wrong ${i}` }, `ip-${uniq()}`));
    assert.ok(loginDelayMs(failures) > loginDelayMs(failures - 1) && loginDelayMs(failures - 1) > 0, "each failure past the threshold slows the next attempt more");
    const ok = await logIn({ email, password: "right password" }, `ip-${uniq()}`);
    assert.equal(ok.id, user.id);
    const notice = await takeLoginNotice(user.id);
    assert.equal(notice?.failedAttempts, failures);
    assert.equal(await takeLoginNotice(user.id), null, "told once");
  });

  it("counts sign-ups that find the email taken, so the message cannot be asked without limit", async () => {
    const taken = `taken-${uniq()}@test.livehouse`;
    await signUp({ email: taken, password: "right password", displayName: "T" }, `ip-${uniq()}`);
    const ip = `ip-${uniq()}`;
    for (let i = 0; i < config.signupMaxPerIpPerHour; i++) {
      assert.match((await refusal(signUp({ email: taken, password: "another password", displayName: "X" }, ip))).email, /already exists/);
    }
    assert.match((await refusal(signUp({ email: `new-${uniq()}@test.livehouse`, password: "another password", displayName: "X" }, ip)))[""], /Too many sign-ups/);
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
