// Getting back in, in Chromium: "forgot your password" by email, the admin's reset
// link, and changing the account's email with the link sent to the new address.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { db } from "../../lib/db.ts";
import { captureServerAction, closeBrowserAfter, newPage, pageAs, replayServerAction, screenshot } from "../support/browser.ts";
import { ORIGIN, closeConnectionsAfter } from "../support/env.ts";
import { makeAdmin, makeUser, uniq } from "../support/fixtures.ts";
import { linkIn, mailTo, waitForMail } from "../support/mail.ts";

closeConnectionsAfter();
closeBrowserAfter();

describe("account recovery in Chromium", () => {
  it("forgot password: the login page's link, the email, a new password, and logging in with it", async () => {
    const user = await makeUser("forgetful");
    const { page, context } = await newPage();
    await page.goto("/login");
    await page.getByRole("link", { name: "Forgot your password?" }).click();
    await page.waitForURL("**/forgot-password");
    await page.getByLabel("Email").fill(user.email);
    await screenshot(page, "forgot-password");
    await page.getByRole("button", { name: "Send me a reset link" }).click();
    await page.getByTestId("reset-sent").waitFor();

    const link = linkIn(await waitForMail(user.email, /Reset your/), "/reset-password/");
    await page.goto(link.pathname);
    await page.getByText(`For ${user.email}.`).waitFor();
    await page.getByLabel("New password").fill("short");
    await page.getByRole("button", { name: "Set new password" }).click();
    await page.getByText(/at least 10 characters/).first().waitFor();
    const newPassword = `chosen ${uniq()} passphrase`;
    await page.getByLabel("New password").fill(newPassword);
    await screenshot(page, "reset-password");
    await page.getByRole("button", { name: "Set new password" }).click();
    await page.waitForURL("**/login?reset=1");
    await page.getByText(/Your password was changed/).waitFor();
    await page.getByLabel("Email").fill(user.email);
    await page.getByLabel("Password").fill(newPassword);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL("**/dashboard");

    await page.goto(link.pathname);
    await page.getByTestId("link-invalid").waitFor();
    await context.close();
  });

  it("a reset asked for with a forged Host (and a matching Origin) is refused and mails nothing", async () => {
    const user = await makeUser("poisoned");
    const { page, context } = await newPage();
    await page.goto("/forgot-password");
    await page.getByLabel("Email").fill(`nobody-${uniq()}@test.livehouse`);
    const action = await captureServerAction(page, () => page.getByRole("button", { name: "Send me a reset link" }).click());
    await page.getByTestId("reset-sent").waitFor();
    // What curl can send: Host and Origin agree, so only PUBLIC_URL tells the site which origin is its own.
    const forged = await replayServerAction(action, { origin: "http://evil.example", fields: { email: user.email }, headers: { host: "evil.example" } });
    assert.match(forged.text, /Cross-site request refused/);
    assert.equal(await db().accountToken.count({ where: { userId: user.id } }), 0, "a link was issued for a forged origin");
    // The same request with the site's own origin and Host goes through, and its link points at PUBLIC_URL.
    await replayServerAction(action, { fields: { email: user.email } });
    assert.equal(linkIn(await waitForMail(user.email, /Reset your/), "/reset-password/").origin, ORIGIN);
    await context.close();
  });

  it("the admin makes a reset link on the admin page; it lets the user in once", async () => {
    const admin = await makeAdmin("chief");
    const user = await makeUser("lost");
    const { page, context } = await pageAs(admin);
    await page.goto("/admin");
    const row = page.getByTestId("account-row").filter({ hasText: user.email });
    await row.getByRole("button", { name: `Make a password reset link for ${user.email}` }).click();
    const link = new URL(await row.getByTestId("reset-link-value").inputValue());
    assert.equal(link.origin, ORIGIN);
    await screenshot(page, "admin-reset-link");
    await context.close();

    const anon = await newPage();
    await anon.page.goto(link.pathname);
    const newPassword = `from admin ${uniq()} link`;
    await anon.page.getByLabel("New password").fill(newPassword);
    await anon.page.getByRole("button", { name: "Set new password" }).click();
    await anon.page.waitForURL("**/login?reset=1");
    await anon.page.getByLabel("Email").fill(user.email);
    await anon.page.getByLabel("Password").fill(newPassword);
    await anon.page.getByRole("button", { name: "Log in" }).click();
    await anon.page.waitForURL("**/dashboard");
    assert.deepEqual(await mailTo(user.email), [], "an admin link is not mailed");
    await anon.context.close();
  });

  it("email change: the account page, the link in the new inbox, the confirmation", async () => {
    const user = await makeUser("relocating");
    const to = `relocated-${uniq()}@test.livehouse`;
    const { page, context } = await pageAs(user);
    await page.goto("/dashboard/account");
    const form = page.getByTestId("change-email");
    await form.getByLabel("New email").fill(to);
    await form.getByLabel("Password").fill("not my password");
    await form.getByRole("button", { name: "Change email" }).click();
    await form.getByText("That is not your password.").waitFor();
    await form.getByLabel("Password").fill(user.password);
    await form.getByRole("button", { name: "Change email" }).click();
    await form.getByText(`We sent a confirmation link to ${to}.`).waitFor();
    await page.getByTestId("email-pending").waitFor();
    assert.equal(await page.getByTestId("account-email").textContent(), user.email);
    await screenshot(page, "email-change-pending");

    const link = linkIn(await waitForMail(to, /Confirm your new email/), "/confirm-email/");
    await page.goto(link.pathname);
    await page.getByText(`to ${to}?`).waitFor();
    await page.getByRole("button", { name: "Confirm new email" }).click();
    await page.waitForURL("**/dashboard/account?email-changed=1");
    await page.getByText("Your email address was changed.").waitFor();
    assert.equal(await page.getByTestId("account-email").textContent(), to);
    assert.equal(await page.getByTestId("email-pending").count(), 0);
    await context.close();
  });
});
