// Every page works under the nonce-based Content-Security-Policy: scripts run only
// with the response's nonce (no 'unsafe-inline'), and Chromium reports no
// violation anywhere — the player (OvenPlayer, hls.js), the chat widget
// (matrix-js-sdk) and the forms included.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { db } from "../../lib/db.ts";
import { closeQueues } from "../../lib/queue.ts";
import { closeBrowserAfter, pageAs } from "../support/browser.ts";
import { closeConnectionsAfter } from "../support/env.ts";
import { endStream, liveChannel, publish, waitFor, waitForLive } from "../support/live.ts";
import { request } from "../support/http.ts";

closeConnectionsAfter();
closeBrowserAfter();
after(() => closeQueues());

const collectViolations = () => {
  (window as any).__cspViolations = [];
  document.addEventListener("securitypolicyviolation", (e) => (window as any).__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
};

describe("nonce-based CSP", () => {
  it("sends a fresh nonce per response and no 'unsafe-inline' for scripts", async () => {
    const a = await request("GET", "/login");
    const b = await request("GET", "/login");
    const cspA = String(a.headers["content-security-policy"]);
    const script = /script-src ([^;]+)/.exec(cspA)![1];
    assert.ok(!script.includes("'unsafe-inline'"), script);
    const nonce = /'nonce-([^']+)'/.exec(script)![1];
    assert.ok(nonce.length >= 22);
    assert.notEqual(/'nonce-([^']+)'/.exec(String(b.headers["content-security-policy"]))![1], nonce, "the nonce repeats");
    // Next's own scripts carry it.
    assert.match(a.text, new RegExp(`<script[^>]*nonce="${nonce.replace(/[+/=]/g, (c) => `\\${c}`)}"`));
    assert.equal(a.headers["strict-transport-security"], undefined, "no HSTS over plain http");
  });

  it("every page, the live player and the chat run without a single violation", async () => {
    const ch = await liveChannel({ graceMinutes: "0" });
    const { page, context } = await pageAs(ch.owner);
    await context.addInitScript(collectViolations);
    const violations = async (where: string) => {
      const v = (await page.evaluate(() => (window as any).__cspViolations)) as string[];
      assert.deepEqual(v, [], `${where}: ${v.join(" | ")}`);
    };
    const pub = publish(ch.key);
    try {
      const live = await waitForLive(ch.slug);
      await page.goto(`/c/${ch.slug}`);
      await page.getByTestId("live-player").waitFor({ timeout: 30_000 });
      await waitFor("video frames", () => page.evaluate(() => (document.querySelector("video")?.currentTime ?? 0) > 1), 30_000);
      await page.getByTestId("chat-log").waitFor({ timeout: 30_000 }); // matrix-js-sdk loaded and synced
      await violations("live channel page");
      await page.goto("/dashboard");
      await page.getByTestId("live-panel").getByTestId("live-player").waitFor({ timeout: 30_000 });
      await violations("dashboard while live");
      await pub.stop();
      assert.equal((await endStream(ch.owner, live.sessionId)).status, 200);
      const replay = await waitFor("the replay", () => db().replay.findUnique({ where: { sessionId: live.sessionId } }), 120_000, 250);
      await page.goto(`/c/${ch.slug}/replays/${replay.id}`);
      await page.getByTestId("replay-player").waitFor();
      await waitFor("the replay's player", () => page.evaluate(() => !!document.querySelector("video")), 30_000);
      await violations("replay page");
    } finally {
      await pub.stop();
    }
    for (const path of ["/", `/c/${ch.slug}`, `/c/${ch.slug}/chat`, "/dashboard", "/dashboard/account", "/dashboard/channels/new", `/dashboard/channels/${ch.channelId}`, "/no-such-page"]) {
      await page.goto(path);
      await page.waitForLoadState("networkidle").catch(() => {});
      await violations(path);
    }
    await context.close();
    // Logged out: the forms.
    const anon = await (await import("../support/browser.ts")).newPage();
    await anon.context.addInitScript(collectViolations);
    for (const path of ["/login", "/signup", "/forgot-password", `/reset-password/${"x".repeat(43)}`]) {
      await anon.page.goto(path);
      await anon.page.waitForLoadState("networkidle").catch(() => {});
      const v = (await anon.page.evaluate(() => (window as any).__cspViolations)) as string[];
      assert.deepEqual(v, [], `${path}: ${v.join(" | ")}`);
    }
    // A form still submits (its script ran): a wrong password gets its message.
    await anon.page.goto("/login");
    await anon.page.getByLabel("Email").fill(ch.owner.email);
    await anon.page.getByLabel("Password").fill("not the password");
    await anon.page.getByRole("button", { name: "Log in" }).click();
    await anon.page.getByText("Email or password is incorrect.").waitFor();
    await anon.context.close();
  });
});
