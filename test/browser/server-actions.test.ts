// Server actions under attack. Each action is captured as Chromium really sends
// it, then replayed from outside the browser with another user's session, a
// foreign or missing Origin, or edited fields.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { config } from "../../lib/config.ts";
import { db } from "../../lib/db.ts";
import { userForSession } from "../../lib/sessions.ts";
import { captureServerAction, closeBrowserAfter, newPage, pageAs, replayServerAction, type CapturedAction } from "../support/browser.ts";
import { ORIGIN, closeConnectionsAfter } from "../support/env.ts";
import { makeChannel, makeUser, uniq, type TestUser } from "../support/fixtures.ts";

closeConnectionsAfter();
closeBrowserAfter();

const EVIL = "http://evil.example";

describe("server actions", () => {
  let a: TestUser;
  let b: TestUser;
  let update: CapturedAction;
  let create: CapturedAction;
  let bChannelId: string;

  before(async () => {
    a = await makeUser("a");
    b = await makeUser("b");
    const bc = await makeChannel(b, "B's channel");
    bChannelId = bc.id;
    const { page, context } = await pageAs(b);
    await page.goto(`/dashboard/channels/${bc.id}`);
    await page.getByLabel("Title").fill("B renamed in browser");
    update = await captureServerAction(page, () => page.getByRole("button", { name: "Save changes" }).click());
    await page.getByText("Channel saved.").waitFor();
    await page.goto("/dashboard/channels/new");
    await page.getByLabel("Title").fill("Made in browser");
    await page.getByLabel("URL name").fill(`made-${uniq()}`);
    create = await captureServerAction(page, () => page.getByRole("button", { name: "Create channel" }).click());
    await page.waitForURL(/\/dashboard/);
    await context.close();
  });

  it("the captured update really works when replayed by its owner (control)", async () => {
    const res = await replayServerAction(update, { cookie: b.cookie, fields: { title: "B renamed by replay" } });
    assert.equal(res.status, 200);
    assert.equal((await db().channel.findUniqueOrThrow({ where: { id: bChannelId } })).title, "B renamed by replay");
  });

  it("update: user B cannot change user A's channel by swapping the id", async () => {
    const ac = await makeChannel(a, "A's original title");
    const res = await replayServerAction(update, { cookie: b.cookie, fields: { channelId: ac.id, title: "hijacked", slug: `hijacked-${uniq()}` } });
    assert.match(res.text, /Channel not found/);
    const after = await db().channel.findUniqueOrThrow({ where: { id: ac.id } });
    assert.equal(after.title, "A's original title");
  });

  it("update: refused with a foreign Origin or none at all", async () => {
    for (const origin of [EVIL, null]) {
      const res = await replayServerAction(update, { cookie: b.cookie, origin, fields: { title: `csrf ${origin}` } });
      assert.notEqual((await db().channel.findUniqueOrThrow({ where: { id: bChannelId } })).title, `csrf ${origin}`);
      if (origin === null) assert.match(res.text, /no Origin header/);
    }
  });

  it("create: refused without Origin or from another origin; anonymous callers create nothing", async () => {
    const count = () => db().channel.count({ where: { title: "csrf create" } });
    await replayServerAction(create, { cookie: b.cookie, origin: null, fields: { title: "csrf create", slug: `csrf-${uniq()}` } });
    await replayServerAction(create, { cookie: b.cookie, origin: EVIL, fields: { title: "csrf create", slug: `csrf-${uniq()}` } });
    const anon = await replayServerAction(create, { fields: { title: "csrf create", slug: `anon-${uniq()}` } });
    assert.match(anon.text, /Log in again/);
    assert.equal(await count(), 0);
    // Control: the same request with B's session and our Origin does create.
    const ok = await replayServerAction(create, { cookie: b.cookie, fields: { title: "csrf create", slug: `legit-${uniq()}` } });
    assert.ok(ok.headers["x-action-redirect"], `expected a redirect, got ${ok.status}`);
    assert.equal(await count(), 1);
  });

  it("delete: user B cannot delete user A's channel; CSRF refused; the owner can", async () => {
    const ac = await makeChannel(a, "A keeps this");
    const victim = await makeChannel(b, "B's deletable");
    const { page, context } = await pageAs(b);
    await page.goto(`/dashboard/channels/${victim.id}`);
    await page.getByLabel(`Type ${victim.slug} to confirm`).fill("wrong");
    const del = await captureServerAction(page, () => page.getByRole("button", { name: "Delete channel" }).click());
    await page.getByText(`Type ${victim.slug} to confirm.`).last().waitFor();
    await context.close();

    const idor = await replayServerAction(del, { cookie: b.cookie, fields: { channelId: ac.id, confirmSlug: ac.slug } });
    assert.match(idor.text, /Channel not found/);
    assert.equal(await db().channel.count({ where: { id: ac.id } }), 1);

    for (const origin of [EVIL, null]) {
      await replayServerAction(del, { cookie: b.cookie, origin, fields: { confirmSlug: victim.slug } });
      assert.equal(await db().channel.count({ where: { id: victim.id } }), 1, `origin ${origin}`);
    }
    const ok = await replayServerAction(del, { cookie: b.cookie, fields: { confirmSlug: victim.slug } });
    assert.ok(ok.headers["x-action-redirect"]);
    assert.equal(await db().channel.count({ where: { id: victim.id } }), 0);
  });

  it("log in: failures are limited per account and address, a refused attempt gets no session, and the owner elsewhere still logs in", async () => {
    const { page, context } = await newPage();
    const target = await makeUser("target");
    await page.goto("/login");
    await page.getByLabel("Email").fill(target.email);
    await page.getByLabel("Password").fill("wrong guess");
    const login = await captureServerAction(page, () => page.getByRole("button", { name: "Log in" }).click());
    await page.getByText("Email or password is incorrect.").waitFor();
    await context.close();

    const attacker = "127.0.9.99";
    for (let i = 0; i < config.loginMaxFailuresPerAccount; i++) {
      const res = await replayServerAction(login, { localAddress: attacker, fields: { password: `guess ${i}` } });
      assert.match(res.text, /Email or password is incorrect/);
    }
    const locked = await replayServerAction(login, { localAddress: attacker, fields: { password: target.password } });
    assert.match(locked.text, /Too many failed sign-in attempts/);
    assert.ok(!String(locked.headers["set-cookie"] ?? "").includes("lh_session="));
    const owner = await replayServerAction(login, { localAddress: "127.0.9.98", fields: { password: target.password } });
    assert.match(String(owner.headers["set-cookie"]), /lh_session=/, "the owner was locked out by a stranger");

    // Cross-origin login (login CSRF) is refused too, even with the right password.
    const other = await makeUser("other");
    const csrf = await replayServerAction(login, { origin: EVIL, localAddress: "127.0.8.8", fields: { email: other.email, password: other.password } });
    assert.ok(!String(csrf.headers["set-cookie"] ?? "").includes("lh_session="));
    const ok = await replayServerAction(login, { localAddress: "127.0.8.9", fields: { email: other.email, password: other.password } });
    assert.match(String(ok.headers["set-cookie"]), /lh_session=[^;]+;.*HttpOnly/i);
    assert.match(String(ok.headers["set-cookie"]), /SameSite=lax/i);
  });

  it("log out: a cross-site request does not end the session", async () => {
    const victim = await makeUser("victim");
    const { page, context } = await pageAs(victim);
    await page.goto("/dashboard");
    const logout = await captureServerAction(page, () => page.getByRole("button", { name: "Log out" }).click());
    await page.waitForURL((u) => u.pathname === "/");
    await context.close();
    const fresh = await makeUser("fresh");
    await replayServerAction(logout, { cookie: fresh.cookie, origin: EVIL });
    await replayServerAction(logout, { cookie: fresh.cookie, origin: null });
    assert.ok(await userForSession(fresh.token), "session survives forged log-outs");
    await replayServerAction(logout, { cookie: fresh.cookie });
    assert.equal(await userForSession(fresh.token), null, "a real log-out ends it");
  });
});
