// Hostile channel text renders as inert text in Chromium.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createChannel } from "../../lib/channels.ts";
import { closeBrowserAfter, newPage, screenshot } from "../support/browser.ts";
import { ORIGIN, closeConnectionsAfter } from "../support/env.ts";
import { makeUser, uniq } from "../support/fixtures.ts";

closeConnectionsAfter();
closeBrowserAfter();

const TITLE = `<img src=x onerror="window.__pwned='title'"><script>window.__pwned='script'</script>`;
const DESCRIPTION = `</p><svg onload="window.__pwned='svg'"></svg><a href="javascript:window.__pwned='link'">click</a>`;

describe("hostile channel text", () => {
  it("is shown literally and never runs, on the channel page and the dashboard", async () => {
    const owner = await makeUser("xss");
    const channel = await createChannel(owner.id, { slug: `xss-${uniq()}`, title: TITLE, description: DESCRIPTION });
    const { page, context } = await newPage();
    const dialogs: string[] = [];
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });

    await page.goto(`/c/${channel.slug}`);
    assert.equal(await page.getByTestId("channel-title").innerText(), TITLE);
    assert.equal(await page.getByTestId("channel-description").innerText(), DESCRIPTION);
    assert.equal(await page.locator("[data-testid=channel-title] img, [data-testid=channel-description] svg").count(), 0);
    await screenshot(page, "xss-channel-page");

    await context.addCookies([{ name: "lh_session", value: owner.token, url: ORIGIN }]);
    await page.goto("/dashboard");
    await page.getByTestId("channel-card").getByRole("heading", { level: 2 }).waitFor();
    assert.equal(await page.getByTestId("channel-card").getByRole("heading", { level: 2 }).innerText(), TITLE);
    await page.goto("/");
    await page.getByText(TITLE).first().waitFor();

    assert.equal(await page.evaluate(() => (window as any).__pwned), undefined);
    assert.deepEqual(dialogs, []);
    await context.close();
  });
});
