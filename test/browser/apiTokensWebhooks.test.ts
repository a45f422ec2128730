// The dashboard's API tokens and webhooks in a real Chromium: an account token made
// on the Account page is shown once, works, and stops when revoked; a channel token
// is made on the channel's page; a webhook added there gets a signed test event at a
// real receiver, and its delivery log shows it and sends it again.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { closeBrowserAfter, pageAs, screenshot } from "../support/browser.ts";
import { closeConnectionsAfter } from "../support/env.ts";
import { makeChannel, makeUser } from "../support/fixtures.ts";
import { tokenApi } from "../support/ownerApi.ts";
import { startReceiver, type Receiver } from "../support/webhookReceiver.ts";
import { signatureValid } from "../support/webhookSignature.ts";

closeConnectionsAfter();
closeBrowserAfter();

let receiver: Receiver | undefined;
after(async () => receiver?.close());

describe("API tokens and webhooks in Chromium", () => {
  it("an account token: created with scopes, shown once, used, revoked", async () => {
    const me = await makeUser("tokens");
    const channel = await makeChannel(me);
    const { page } = await pageAs(me);
    await page.goto("/dashboard/account");
    const card = page.getByTestId("token-manager");
    await card.getByTestId("no-tokens").waitFor();
    await card.getByLabel("New token label").fill("Stats bot");
    await card.getByRole("checkbox", { name: /keys:manage/ }).check();
    await card.getByRole("button", { name: "Create API token" }).click();
    const token = await card.getByTestId("new-token-value").inputValue();
    assert.match(token, /^lh_api_/);
    await screenshot(page, "account-new-api-token");
    const row = card.getByTestId("token-row");
    assert.match(await row.innerText(), /Stats bot[\s\S]*channel:read, keys:manage[\s\S]*Last used never/);

    // It works for what it may do, and not beyond.
    assert.equal((await tokenApi("GET", `/api/channels/${channel.id}/keys`, token)).status, 200);
    assert.equal((await tokenApi("POST", `/api/live-sessions/${channel.id}/end`, token)).status, 403);

    // Shown exactly once: after a reload only the hint remains, with its last use.
    await card.getByRole("button", { name: "I have copied it" }).click();
    await page.reload();
    assert.ok(!(await page.content()).includes(token), "the token must not be shown again");
    assert.match(await row.innerText(), new RegExp(`${token.slice(0, 11)}…[\\s\\S]*Last used (?!never)`));

    await row.getByRole("button", { name: "Revoke" }).click();
    await row.getByRole("button", { name: "Revoke token" }).click();
    await card.getByTestId("no-tokens").waitFor();
    assert.equal((await tokenApi("GET", `/api/channels/${channel.id}/keys`, token)).status, 401);
  });

  it("a channel token and a webhook on the channel's page: test event, delivery log, send again", async () => {
    receiver = await startReceiver();
    const me = await makeUser("hooks");
    const channel = await makeChannel(me);
    const { page } = await pageAs(me);
    await page.goto(`/dashboard/channels/${channel.id}`);

    const tokens = page.getByTestId("token-manager");
    await tokens.getByLabel("New token label").fill("Overlay");
    await tokens.getByRole("button", { name: "Create API token" }).click();
    const token = await tokens.getByTestId("new-token-value").inputValue();
    assert.equal((await tokenApi("GET", "/api/channels", token)).json().channels.map((c: any) => c.id).join(), channel.id);

    const hooks = page.getByTestId("webhook-manager");
    await hooks.getByTestId("no-webhooks").waitFor();
    await hooks.getByRole("checkbox", { name: /chat\.moderation/ }).uncheck();
    await hooks.getByLabel("Webhook URL").fill("gopher://example.org/");
    await hooks.getByRole("button", { name: "Add webhook" }).click();
    await hooks.getByRole("alert").getByText(/Only http:\/\/ and https:\/\//).waitFor();

    await hooks.getByLabel("Webhook URL").fill(receiver.url);
    await hooks.getByRole("button", { name: "Add webhook" }).click();
    const secret = await hooks.getByTestId("webhook-secret-value").inputValue();
    assert.match(secret, /^whsec_/);
    const row = hooks.getByTestId("webhook-row");
    assert.match(await row.innerText(), /stream\.started[\s\S]*replay\.exported/);
    assert.ok(!(await row.innerText()).includes("chat.moderation"));

    await row.getByRole("button", { name: "Send test event" }).click();
    const [got] = await receiver.waitForCount(1, "the test event");
    assert.ok(signatureValid(got.headers["x-livehouse-signature"], got.body, secret));
    const delivered = row.locator('[data-testid="delivery-row"][data-status="succeeded"]');
    await delivered.first().waitFor({ timeout: 30_000 });
    assert.match(await delivered.first().innerText(), /webhook\.test[\s\S]*delivered[\s\S]*200/i);
    await screenshot(page, "channel-webhook-delivery-log");

    await delivered.first().getByRole("button", { name: "Send again" }).click();
    const both = await receiver.waitForCount(2, "the event sent again");
    assert.equal(both[1].json.id, both[0].json.id);
    await row.locator('[data-testid="delivery-row"][data-status="succeeded"]').nth(1).waitFor({ timeout: 30_000 });
    assert.match(await row.getByTestId("delivery-log").innerText(), /sent again/);
  });
});
