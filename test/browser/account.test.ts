// The account page in Chromium: sessions, log out everywhere else, a new password, deletion.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { db } from "../../lib/db.ts";
import { createSession } from "../../lib/sessions.ts";
import { closeBrowserAfter, pageAs, screenshot } from "../support/browser.ts";
import { closeConnectionsAfter } from "../support/env.ts";
import { makeUser } from "../support/fixtures.ts";

closeConnectionsAfter();
closeBrowserAfter();

describe("account page in Chromium", () => {
  it("lists sessions, logs out the others, changes the password, and deletes the account", async () => {
    const user = await makeUser("acct");
    const elsewhere = await createSession(user.id);
    const { page, context } = await pageAs(user);
    const other = await pageAs({ token: elsewhere.token });
    await page.goto("/dashboard");
    await page.getByRole("link", { name: "Account" }).click();
    await page.waitForURL("**/dashboard/account");
    assert.equal(await page.getByTestId("session-row").count(), 2);
    await screenshot(page, "account-page");

    await page.getByRole("button", { name: "Log out everywhere else" }).click();
    await page.getByText("1 other session was logged out.").waitFor();
    await other.page.goto("/dashboard");
    await other.page.waitForURL("**/login**");

    const form = page.getByTestId("change-password");
    await form.getByLabel("Current password").fill("not it");
    await form.getByLabel("New password").fill("a brand new passphrase");
    await form.getByRole("button", { name: "Change password" }).click();
    await form.getByText("That is not your current password.").waitFor();
    await form.getByLabel("Current password").fill(user.password);
    await form.getByLabel("New password").fill("a brand new passphrase");
    await form.getByRole("button", { name: "Change password" }).click();
    await form.getByText(/Password changed/).waitFor();

    const del = page.getByTestId("delete-account");
    await del.getByLabel(/Type .* to confirm/).fill(user.email);
    await del.getByLabel("Password").fill("a brand new passphrase");
    await del.getByRole("button", { name: "Delete my account" }).click();
    await page.waitForURL((u) => u.pathname === "/");
    assert.equal(await db().user.count({ where: { id: user.id } }), 0);
    await context.close();
    await other.context.close();
  });
});
