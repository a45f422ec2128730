// Password reset and email change against the real database, Redis and SMTP (the
// stack's mail catcher): emailed links, the admin's link, and the no-mail instance.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { logIn } from "../../lib/accounts.ts";
import { NO_MAIL, confirmEmailChange, requestEmailChange, requestPasswordReset, resetPassword } from "../../lib/accountRecovery.ts";
import { pendingEmailChange, peekToken } from "../../lib/accountTokens.ts";
import { createResetLink, setAccountDisabled } from "../../lib/admin.ts";
import { db } from "../../lib/db.ts";
import { NotFoundError, ValidationError } from "../../lib/errors.ts";
import { createSession, userForSession } from "../../lib/sessions.ts";
import { ORIGIN, closeConnectionsAfter } from "../support/env.ts";
import { makeAdmin, makeUser, uniq } from "../support/fixtures.ts";
import { request } from "../support/http.ts";
import { linkIn, mailTo, waitForMail } from "../support/mail.ts";

closeConnectionsAfter();

const ip = () => `recovery-${uniq()}`;
const tokenOf = (link: URL) => link.pathname.split("/").pop()!;
const refusedWith = (field: string, pattern: RegExp) => (e: unknown) => e instanceof ValidationError && pattern.test(e.fields[field] ?? "");
const canLogIn = (email: string, password: string) => logIn({ email, password }, ip()).then(() => true, () => false);

/** Runs fn as an instance without SMTP_URL (the config is read on each use). */
async function withoutMail<T>(fn: () => Promise<T>): Promise<T> {
  const saved = process.env.SMTP_URL;
  delete process.env.SMTP_URL;
  try {
    return await fn();
  } finally {
    process.env.SMTP_URL = saved;
  }
}

describe("password reset by email", () => {
  it("mails a link to the account's address; the link sets a new password once and logs out everywhere", async () => {
    const user = await makeUser("forgot");
    const elsewhere = await createSession(user.id);
    await requestPasswordReset({ email: `  ${user.email.toUpperCase()} ` }, ip());
    const mail = await waitForMail(user.email, /Reset your .* password/);
    assert.match(mail.from, /no-reply@test\.livehouse/);
    const link = linkIn(mail, "/reset-password/");
    assert.equal(link.origin, ORIGIN, "links in mail come from PUBLIC_URL");
    const token = tokenOf(link);
    const stored = await db().accountToken.findMany({ where: { userId: user.id } });
    assert.deepEqual(stored.map((t) => t.id), [createHash("sha256").update(token).digest("hex")], "only the token's hash is stored");

    // Opening the page does not use the link up.
    assert.equal((await request("GET", link.pathname)).status, 200);
    await assert.rejects(resetPassword(token, "short"), refusedWith("password", /at least/));
    assert.ok(await peekToken(token, "password-reset"), "a refused password used the link up");

    const newPassword = `reset-${uniq()}-${uniq()}`;
    assert.deepEqual(await resetPassword(token, newPassword), { email: user.email });
    assert.equal(await canLogIn(user.email, user.password), false);
    assert.equal(await canLogIn(user.email, newPassword), true);
    assert.equal(await userForSession(user.token), null, "a session survived the reset");
    assert.equal(await userForSession(elsewhere.token), null, "a session survived the reset");
    await assert.rejects(resetPassword(token, `again-${uniq()}-${uniq()}`), refusedWith("", /expired or was already used/));
    const again = await request("GET", link.pathname);
    assert.match(again.text, /expired or was already used/);
  });

  it("unknown and disabled addresses get the same answer and no mail", async () => {
    const admin = await makeAdmin();
    const disabled = await makeUser("disabled");
    await setAccountDisabled(admin.id, disabled.id, true);
    const control = await makeUser("control");
    const unknown = `nobody-${uniq()}@test.livehouse`;
    assert.equal(await requestPasswordReset({ email: unknown }, ip()), undefined);
    assert.equal(await requestPasswordReset({ email: disabled.email }, ip()), undefined);
    await requestPasswordReset({ email: control.email }, ip());
    await waitForMail(control.email, /Reset your/);
    assert.deepEqual(await mailTo(unknown), []);
    assert.deepEqual(await mailTo(disabled.email), []);
    assert.equal(await db().accountToken.count({ where: { userId: disabled.id } }), 0);
  });

  it("a newer link replaces the older one, an expired link does not work, and one inbox gets at most 3 an hour", async () => {
    const user = await makeUser("twice");
    await requestPasswordReset({ email: user.email }, ip());
    const first = tokenOf(linkIn(await waitForMail(user.email, /Reset your/, 1), "/reset-password/"));
    await requestPasswordReset({ email: user.email }, ip());
    const second = tokenOf(linkIn(await waitForMail(user.email, /Reset your/, 2), "/reset-password/"));
    assert.equal(await peekToken(first, "password-reset"), null, "the older link still works");
    assert.ok(await peekToken(second, "password-reset"));

    await db().accountToken.updateMany({ where: { userId: user.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    await assert.rejects(resetPassword(second, `late-${uniq()}-${uniq()}`), refusedWith("", /expired/));

    await requestPasswordReset({ email: user.email }, ip());
    await waitForMail(user.email, /Reset your/, 3);
    const before = await db().accountToken.findMany({ where: { userId: user.id } });
    await requestPasswordReset({ email: user.email }, ip());
    assert.deepEqual(await db().accountToken.findMany({ where: { userId: user.id } }), before, "a 4th link was issued within the hour");
  });

  it("one address asking too often is refused with a clear message", async () => {
    const from = ip();
    for (let i = 0; i < 10; i++) await requestPasswordReset({ email: `nobody-${uniq()}@test.livehouse` }, from);
    await assert.rejects(requestPasswordReset({ email: `nobody-${uniq()}@test.livehouse` }, from), refusedWith("", /Too many reset requests .* Try again in/));
    await assert.rejects(requestPasswordReset({ email: "not an address" }, ip()), refusedWith("email", /valid email/));
  });
});

describe("email change with confirmation", () => {
  it("mails a link to the new address and a notice to the old; the address changes only when the link is used", async () => {
    const user = await makeUser("mover");
    const other = await makeUser("taken");
    const to = `moved-${uniq()}@test.livehouse`;
    await assert.rejects(requestEmailChange(user.id, { newEmail: to, password: "wrong password" }), refusedWith("password", /not your password/));
    await assert.rejects(requestEmailChange(user.id, { newEmail: other.email, password: user.password }), refusedWith("newEmail", /already exists/));
    await assert.rejects(requestEmailChange(user.id, { newEmail: user.email, password: user.password }), refusedWith("newEmail", /already your email/));
    await assert.rejects(requestEmailChange(user.id, { newEmail: "nope", password: user.password }), refusedWith("newEmail", /valid email/));

    assert.deepEqual(await requestEmailChange(user.id, { newEmail: to.toUpperCase(), password: user.password }), { pending: to });
    assert.equal((await pendingEmailChange(user.id))?.newEmail, to);
    assert.equal((await db().user.findUniqueOrThrow({ where: { id: user.id } })).email, user.email, "changed before confirmation");
    const confirm = await waitForMail(to, /Confirm your new email/);
    const notice = await waitForMail(user.email, /is being changed/);
    assert.match(notice.text, new RegExp(to.replace(/[.]/g, "\\.")));
    assert.doesNotMatch(notice.text, /https?:\/\//, "the notice to the old address carries no link");

    // A reset link made before the change went to (or for) the old address: it must stop working.
    const admin = await makeAdmin();
    const resetLink = await createResetLink(admin.id, user.id);
    const token = tokenOf(linkIn(confirm, "/confirm-email/"));
    assert.match((await request("GET", `/confirm-email/${token}`)).text, new RegExp(`Change the email of your account`));
    assert.deepEqual(await confirmEmailChange(token), { email: to });
    assert.equal((await db().user.findUniqueOrThrow({ where: { id: user.id } })).email, to);
    assert.equal(await canLogIn(to, user.password), true);
    assert.equal(await canLogIn(user.email, user.password), false);
    assert.equal(await pendingEmailChange(user.id), null);
    assert.equal(await peekToken(resetLink.path.split("/").pop(), "password-reset"), null, "a reset link outlived the email change");
    await assert.rejects(confirmEmailChange(token), refusedWith("", /already used/));
  });

  it("an address taken while the link waited is refused when the link is used", async () => {
    const user = await makeUser("slow");
    const to = `contested-${uniq()}@test.livehouse`;
    await requestEmailChange(user.id, { newEmail: to, password: user.password });
    const token = tokenOf(linkIn(await waitForMail(to, /Confirm your new email/), "/confirm-email/"));
    await db().user.update({ where: { id: (await makeUser("quick")).id }, data: { email: to } });
    await assert.rejects(confirmEmailChange(token), refusedWith("", /already exists/));
    assert.equal((await db().user.findUniqueOrThrow({ where: { id: user.id } })).email, user.email);
  });
});

describe("an instance without mail", () => {
  it("refuses emailed resets with where to go instead, and an email change takes effect on the password", async () => {
    const user = await makeUser("nomail");
    await withoutMail(async () => {
      await assert.rejects(requestPasswordReset({ email: user.email }, ip()), refusedWith("", new RegExp(NO_MAIL.slice(0, 40))));
      const to = `direct-${uniq()}@test.livehouse`;
      assert.deepEqual(await requestEmailChange(user.id, { newEmail: to, password: user.password }), { changed: to });
      assert.equal((await db().user.findUniqueOrThrow({ where: { id: user.id } })).email, to);
      assert.deepEqual(await mailTo(to), []);
    });
  });

  it("the admin makes a one-time reset link; nobody else can, and not for a disabled account", async () => {
    const admin = await makeAdmin();
    const user = await makeUser("locked-out");
    await assert.rejects(createResetLink(user.id, admin.id), NotFoundError);
    await assert.rejects(createResetLink(admin.id, "not-a-uuid"), NotFoundError);
    const { path, expiresAt } = await createResetLink(admin.id, user.id);
    assert.match(path, /^\/reset-password\/[A-Za-z0-9_-]{43}$/);
    assert.ok(expiresAt.getTime() > Date.now() + 23 * 3600_000, "an admin link should last a day");
    const newPassword = `admin-${uniq()}-${uniq()}`;
    await resetPassword(path.split("/").pop(), newPassword);
    assert.equal(await canLogIn(user.email, newPassword), true);
    await assert.rejects(resetPassword(path.split("/").pop(), `twice-${uniq()}-${uniq()}`), ValidationError);

    await setAccountDisabled(admin.id, user.id, true);
    await assert.rejects(createResetLink(admin.id, user.id), refusedWith("", /disabled/));
  });
});
