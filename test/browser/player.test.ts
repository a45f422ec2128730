// The viewer's and the creator's view of a live stream, in Chromium.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { closeQueues } from "../../lib/queue.ts";
import { closeBrowserAfter, newPage, screenshot } from "../support/browser.ts";
import { ORIGIN, closeConnectionsAfter } from "../support/env.ts";
import { liveChannel, publish, waitFor } from "../support/live.ts";

closeConnectionsAfter();
closeBrowserAfter();
after(() => closeQueues());

/** Mean and spread of the video's pixels, drawn into a canvas. */
const pictureStats = () => {
  const v = document.querySelector("video") as HTMLVideoElement | null;
  if (!v || v.videoWidth === 0) return null;
  const c = document.createElement("canvas");
  c.width = 160;
  c.height = 90;
  const ctx = c.getContext("2d")!;
  ctx.drawImage(v, 0, 0, c.width, c.height);
  const d = ctx.getImageData(0, 0, c.width, c.height).data;
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < d.length; i += 4) {
    const y = 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
    sum += y;
    sq += y * y;
  }
  const n = d.length / 4;
  return { mean: sum / n, spread: Math.sqrt(sq / n - (sum / n) ** 2), time: v.currentTime };
};

describe("watching live in Chromium", () => {
  it("the channel page goes live by itself, OvenPlayer plays a real picture with a quality menu, and goes offline again", async () => {
    const ch = await liveChannel();
    const { page, context } = await newPage();
    // The standard (HLS, adaptive) player: the viewer's switch, remembered by the browser.
    await context.addInitScript(`localStorage.setItem("lh-latency", "standard")`);
    await page.goto(`/c/${ch.slug}`);
    await page.getByTestId("offline-slate").waitFor();
    assert.equal(await page.getByTestId("live-status").innerText(), "OFFLINE");

    const pub = publish(ch.key, { gop: 120 });
    try {
      // No reload: the page notices on its own.
      await page.getByTestId("live-player").waitFor({ timeout: 30_000 });
      assert.equal(await page.getByTestId("live-status").innerText(), "LIVE");
      await page.locator('[data-testid=live-player][data-source="hls"]').waitFor({ timeout: 15_000 });
      assert.equal(await page.getByRole("button", { name: "Switch to low latency" }).count(), 1);
      const first = await waitFor("video frames", () => page.evaluate(pictureStats), 20_000);
      await page.waitForTimeout(3000);
      const later = (await page.evaluate(pictureStats))!;
      assert.ok(later.time > first.time + 1.5, `currentTime ${first.time} → ${later.time}`);
      assert.ok(later.mean > 20 && later.spread > 20, `picture looks black or flat: ${JSON.stringify(later)}`);
      await screenshot(page, "channel-live");

      // The quality menu lists the rungs.
      await page.locator(".op-setting-button").click({ force: true });
      await page.locator('.op-setting-item[op-panel-type="quality"]').click();
      const items = await page.locator(".op-setting-panel .op-setting-item-title").allInnerTexts();
      for (const h of ["720", "480", "360"]) assert.ok(items.some((t) => t.includes(h)), `quality menu ${JSON.stringify(items)} lacks ${h}`);
      await screenshot(page, "channel-quality-menu");

      // The creator's dashboard: health, the keyframe warning (GOP 4 s > 1 s segments), a viewer, a preview.
      const dash = await context.newPage();
      await context.addCookies([{ name: "lh_session", value: ch.owner.token, url: ORIGIN }]);
      await dash.goto("/dashboard");
      const panel = dash.getByTestId("live-panel");
      await panel.getByTestId("dashboard-live-status").getByText("Live").waitFor({ timeout: 15_000 });
      await waitFor("stream health", async () => (await panel.getByTestId("health-keyframes").innerText()) === "4 s", 15_000);
      assert.equal(await panel.getByTestId("health-resolution").innerText(), "1280×720");
      assert.match(await panel.getByTestId("health-fps").innerText(), /^(29\.\d|30(\.0)?) fps$/);
      assert.match(await panel.getByTestId("health-bitrate").innerText(), /Mbit\/s/);
      // (On a busy test machine the publisher itself may fall below real time: that has a warning of its own.)
      assert.match(await panel.getByTestId("stream-warning").filter({ hasText: "keyframe interval" }).innerText(), /keyframe interval is 4 s, longer than the 1 s segments/);
      assert.match(await panel.getByTestId("dashboard-viewers").innerText(), /^[1-9]\d* watching$/);
      assert.match(await panel.getByTestId("uptime").innerText(), /^up \d+:\d\d$/);
      await panel.getByTestId("live-player").waitFor();
      await screenshot(dash, "dashboard-live");
    } finally {
      await pub.stop();
    }
    // Publisher gone (no reconnect window on this channel): the page returns to offline by itself.
    await page.getByTestId("offline-slate").waitFor({ timeout: 120_000 });
    assert.equal(await page.getByTestId("live-status").innerText(), "OFFLINE");
    await context.close();
  });
});
