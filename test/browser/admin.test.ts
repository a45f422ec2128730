// The admin page in Chromium: totals, accounts, disable and enable.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { db } from "../../lib/db.ts";
import { closeBrowserAfter, pageAs, screenshot } from "../support/browser.ts";
import { closeConnectionsAfter } from "../support/env.ts";
import { makeUser } from "../support/fixtures.ts";

closeConnectionsAfter();
closeBrowserAfter();

describe("admin page in Chromium", () => {
  it("shows the instance and disables and enables an account from its row", async () => {
    const admin = await makeUser("boss");
    await db().user.update({ where: { id: admin.id }, data: { isAdmin: true } });
    const target = await makeUser("target");
    const { page, context } = await pageAs(admin);
    await page.goto("/dashboard");
    await page.getByRole("link", { name: "Admin" }).click();
    await page.waitForURL("**/admin");
    await page.getByTestId("totals").waitFor();
    const row = page.getByTestId("account-row").filter({ hasText: target.email });
    await row.getByRole("button", { name: `Disable ${target.email}` }).click();
    await row.getByText("disabled").waitFor();
    assert.ok((await db().user.findUniqueOrThrow({ where: { id: target.id } })).disabledAt);
    await screenshot(page, "admin-page");
    await row.getByRole("button", { name: `Enable ${target.email}` }).click();
    await row.getByText("active").waitFor();
    assert.equal((await db().user.findUniqueOrThrow({ where: { id: target.id } })).disabledAt, null);
    await context.close();
  });
});
