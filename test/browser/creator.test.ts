// The new creator's path through the product in a real Chromium: sign up, make a
// channel, get a key (shown once), revoke it, log out.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { db } from "../../lib/db.ts";
import { authenticateStreamKey, isWellFormedStreamKey } from "../../lib/streamKeys.ts";
import { closeBrowserAfter, newPage, screenshot, signUpInBrowser } from "../support/browser.ts";
import { closeConnectionsAfter } from "../support/env.ts";
import { uniq } from "../support/fixtures.ts";

closeConnectionsAfter();
closeBrowserAfter();

describe("creator in Chromium", () => {
  it("signs up, creates a channel and a key, sees the key once, revokes it, logs out", async () => {
    const { page, context } = await newPage();
    const id = uniq();
    const me = { email: `creator-${id}@test.livehouse`, password: `secret-${id}-pass`, displayName: `Creator ${id}` };
    await signUpInBrowser(page, me);

    await page.getByTestId("no-channels").waitFor();
    await screenshot(page, "dashboard-empty");
    await page.getByRole("link", { name: "Create your first channel" }).click();
    await page.waitForURL("**/dashboard/channels/new");

    // A refused form keeps what was typed and says what is wrong.
    await page.getByLabel("URL name").fill(`my-show-${id}`);
    await page.getByRole("button", { name: "Create channel" }).click();
    await page.getByText("Title is required.").waitFor();
    assert.equal(await page.getByLabel("URL name").inputValue(), `my-show-${id}`);
    assert.equal(await db().channel.count({ where: { slug: `my-show-${id}` } }), 0);

    await page.getByLabel("Title").fill("My first show");
    await page.getByLabel("Description").fill("Line one\nLine two");
    await page.getByRole("button", { name: "Create channel" }).click();
    await page.waitForURL(/\/dashboard(#|$)/);
    const card = page.getByTestId("channel-card");
    await card.getByRole("heading", { name: "My first show" }).waitFor();
    assert.equal(await card.getByTestId("rtmp-url").inputValue(), `rtmp://127.0.0.1:${process.env.RTMP_PORT}/live`);
    await card.getByTestId("no-keys").waitFor();

    await card.getByLabel("New key label").fill("OBS at home");
    await card.getByRole("button", { name: "Create stream key" }).click();
    const shown = await card.getByTestId("new-key-value").inputValue();
    assert.ok(isWellFormedStreamKey(shown), shown.slice(0, 12));
    await card.getByRole("button", { name: "Copy stream key" }).click();
    await card.getByRole("button", { name: "Copy stream key" }).getByText("Copied!").waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), shown);
    await screenshot(page, "dashboard-new-key");
    const row = await db().streamKey.findFirstOrThrow({ where: { label: "OBS at home", channel: { slug: `my-show-${id}` } } });
    assert.notEqual(row.keyHash, shown);

    // Shown exactly once: after a reload only the hint remains.
    await page.reload();
    const html = await page.content();
    assert.ok(!html.includes(shown), "the key must not be shown again");
    await card.getByTestId("key-row").getByText("OBS at home").waitFor();
    assert.match(await card.getByTestId("key-row").innerText(), /Last used never/);
    assert.ok(await authenticateStreamKey(shown));

    await card.getByRole("button", { name: "Revoke" }).click();
    await card.getByRole("button", { name: "Revoke key" }).click();
    await card.getByTestId("no-keys").waitFor();
    assert.equal(await authenticateStreamKey(shown), null, "revoked at once");
    await screenshot(page, "dashboard-revoked");

    // The public page.
    await page.goto(`/c/my-show-${id}`);
    assert.equal(await page.getByTestId("channel-title").innerText(), "My first show");
    assert.equal(await page.getByTestId("live-status").innerText(), "OFFLINE");
    assert.equal(await page.getByTestId("channel-description").innerText(), "Line one\nLine two");
    await screenshot(page, "channel-offline");

    // Session cookie flags.
    const cookie = (await context.cookies()).find((c) => c.name === "lh_session");
    assert.ok(cookie);
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, "Lax");
    assert.equal(cookie.secure, false, "plain-HTTP test server: not Secure");

    await page.getByRole("button", { name: "Log out" }).click();
    await page.waitForURL((u) => u.pathname === "/");
    await page.goto("/dashboard");
    await page.waitForURL("**/login?next=%2Fdashboard");
    await context.close();
  });

  it("logs in again, refusing a wrong password with a message that does not reveal the account", async () => {
    const { page, context } = await newPage();
    const id = uniq();
    const me = { email: `again-${id}@test.livehouse`, password: `secret-${id}-pass`, displayName: `Again ${id}` };
    await signUpInBrowser(page, me);
    await page.getByRole("button", { name: "Log out" }).click();
    await page.waitForURL((u) => u.pathname === "/");
    await page.goto("/login");
    await page.getByLabel("Email").fill(me.email);
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByText("Email or password is incorrect.").waitFor();
    assert.equal(await page.getByLabel("Password").inputValue(), "", "a refused password is not echoed back");
    await page.getByLabel("Password").fill(me.password);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL("**/dashboard");
    await context.close();
  });

  it("is usable on a phone-sized screen", async () => {
    const { page, context } = await newPage({ mobile: true });
    const id = uniq();
    await signUpInBrowser(page, { email: `phone-${id}@test.livehouse`, password: `secret-${id}-pass`, displayName: "Phone" });
    await page.goto("/dashboard/channels/new");
    await page.getByLabel("Title").fill("Pocket show");
    await page.getByLabel("URL name").fill(`pocket-${id}`);
    await page.getByRole("button", { name: "Create channel" }).click();
    await page.waitForURL(/\/dashboard(#|$)/);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the phone screen`);
    await screenshot(page, "dashboard-phone");
    await context.close();
  });
});
