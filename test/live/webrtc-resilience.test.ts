// A WebRTC viewer through what a live stream goes through: the publisher drops and comes
// back within the window, and the worker running the transcode is SIGKILLed. The page is
// never reloaded; the viewer keeps its connection (or is re-offered) and plays on.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import nodeDataChannel from "node-datachannel";
import { db } from "../../lib/db.ts";
import { RECORD_PEERS } from "../support/webrtcPage.ts";
import { closeBrowserAfter, newPage } from "../support/browser.ts";
import { closeConnectionsAfter } from "../support/env.ts";
import { ffmpegProcesses, liveChannel, liveStatus, publish, waitFor, waitForLive } from "../support/live.ts";

closeConnectionsAfter();
closeBrowserAfter();
after(() => nodeDataChannel.cleanup());

// Frames decoded over every connected peer of the page, and whether the page is the same one.
const DECODED = `(async () => {
  let frames = 0;
  for (const pc of window.__pcs) {
    if (pc.connectionState !== "connected") continue;
    (await pc.getStats()).forEach((r) => { if (r.type === "inbound-rtp" && r.kind === "video") frames += r.framesDecoded ?? 0; });
  }
  return { frames, same: window.__notReloaded === true, peers: window.__pcs.length };
})()`;

interface Decoded { frames: number; same: boolean; peers: number }

async function watching(slug: string) {
  const { page, context } = await newPage();
  await page.addInitScript(RECORD_PEERS);
  await page.goto(`/c/${slug}`);
  // Set once, after load: a reload would give a fresh window without it.
  await page.evaluate("window.__notReloaded = true");
  await page.locator('[data-testid=live-player][data-source="webrtc"]').waitFor({ timeout: 30_000 });
  const decoded = async () => (await page.evaluate(DECODED)) as Decoded;
  await waitFor("WebRTC frames", async () => (await decoded()).frames > 30, 30_000);
  return { page, context, decoded };
}

describe("WebRTC through drops and takeovers", () => {
  it("the publisher drops and returns within the window: the same page plays the resumed stream over WebRTC", async () => {
    const ch = await liveChannel({ graceMinutes: "1" });
    let pub = publish(ch.key);
    const v = await watching(ch.slug);
    try {
      await waitForLive(ch.slug);
      await pub.stop();
      await waitFor("reconnecting", async () => (await liveStatus(ch.slug)).status === "reconnecting", 30_000);
      await v.page.getByTestId("reconnecting").waitFor({ timeout: 15_000 });
      const during = await v.decoded();
      pub = publish(ch.key);
      await waitFor("live again", async () => (await liveStatus(ch.slug)).status === "live", 60_000);
      const resumed = await waitFor("frames of the resumed stream", async () => {
        const d = await v.decoded();
        return d.frames > during.frames + 60 ? d : null;
      }, 60_000, 500);
      assert.equal(resumed.same, true, "the page was reloaded");
      assert.equal(await v.page.locator('[data-testid=live-player][data-source="webrtc"]').count(), 1, "the player left WebRTC");
    } finally {
      await pub.stop();
      await v.context.close();
    }
  });

  it("the worker running the transcode is SIGKILLed: another takes over and the viewer plays on over WebRTC", async () => {
    const ch = await liveChannel();
    const pub = publish(ch.key);
    try {
      const live = await waitForLive(ch.slug);
      const v = await watching(ch.slug);
      const part = await db().livePart.findFirstOrThrow({ where: { sessionId: live.sessionId } });
      const first = await waitFor("the ffmpeg of the part", async () => {
        const p = ffmpegProcesses(part.id);
        return p.length === 1 ? p[0] : null;
      });
      const before = await v.decoded();
      process.kill(first.ppid, "SIGKILL");
      await waitFor("a new ffmpeg under another worker", async () => ffmpegProcesses(part.id).some((x) => x.pid !== first.pid), 60_000, 100);
      const after = await waitFor("frames after the takeover", async () => {
        const d = await v.decoded();
        return d.frames > before.frames + 90 ? d : null;
      }, 60_000, 500);
      assert.equal(after.same, true, "the page was reloaded");
      await v.context.close();
    } finally {
      await pub.stop();
    }
  });
});
