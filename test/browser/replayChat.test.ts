// Chat replay in Chromium, from a real publish: messages sent at known moments
// of a live stream (with a drop and reconnect in the middle) play beside the
// replay when the playhead reaches them — on a `?t=` link before playing, while
// playing, paused, and after seeks both ways; a redacted message never shows;
// one sent while the streamer was away shows at the gap's marker.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { Page } from "playwright-core";
import { db } from "../../lib/db.ts";
import { closeQueues } from "../../lib/queue.ts";
import { formatReplayTime, parseReplayTime } from "../../lib/replayLink.ts";
import { closeBrowserAfter, newPage, screenshot } from "../support/browser.ts";
import { ORIGIN, closeConnectionsAfter } from "../support/env.ts";
import { uniq } from "../support/fixtures.ts";
import { endStream, getText, liveChannel, liveStatus, parseMedia, publish, waitFor, waitForLive } from "../support/live.ts";
import { channelRoom, eventById, join, mx, registeredUser, say, type MatrixUser } from "../support/matrix.ts";
import { roomAlias } from "../../lib/matrix/ids.ts";

closeConnectionsAfter();
closeBrowserAfter();
after(() => closeQueues());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Sent {
  name: string;
  id: string;
  ts: number;
}

/** Event ids of the chat replay's rows on screen; null while it loads for where the player is. */
async function shown(page: Page): Promise<string[] | null> {
  return page.getByTestId("replay-chat").evaluate((chat) =>
    chat.getAttribute("data-state") === "ready" ? [...chat.querySelectorAll<HTMLElement>('[data-testid="chat-message"]')].map((e) => e.dataset.eventId ?? "") : null,
  );
}

const video = (page: Page) => page.evaluate(() => {
  const v = document.querySelector<HTMLVideoElement>('[data-testid="replay-player"] video');
  return v ? { time: v.currentTime, paused: v.paused } : null;
});

const player = (page: Page, call: "play" | "pause" | { seek: number }) =>
  page.evaluate((c) => {
    const p = (window as any).OvenPlayer.getPlayerList()[0];
    if (c === "play") p.play();
    else if (c === "pause") p.pause();
    else p.seek(c.seek);
  }, call);

/**
 * Where each message belongs in the replay, worked out from the VOD playlist
 * the player reads (its PROGRAM-DATE-TIMEs and durations): inside a segment,
 * the same distance in; between segments (a gap), where the next one starts.
 */
function expectedOffset(vod: ReturnType<typeof parseMedia>, ts: number): number {
  let at = 0;
  for (const e of vod.entries) {
    if (ts < e.pdt!) return at;
    if (ts < e.pdt! + e.duration * 1000) return at + (ts - e.pdt!) / 1000;
    at += e.duration;
  }
  return at;
}

describe("chat replay in Chromium", () => {
  it("shows the messages sent up to the playhead: on a ?t= link, playing, paused, after seeks; never a redacted one; a gap message at the marker", async () => {
    const ch = await liveChannel({ graceMinutes: "1" });
    const roomId = await channelRoom(ch.channelId);
    const chatter: MatrixUser = await registeredUser();
    await mx(chatter, "PUT", `/_matrix/client/v3/profile/${encodeURIComponent(chatter.userId)}/displayname`, { displayname: "Chatty Cathy" });
    await join(chatter, roomAlias(ch.slug));
    const sent: Sent[] = [];
    const send = async (name: string) => {
      const id = await say(chatter, roomId, `${name} ${uniq()}`);
      const ev = (await eventById(chatter, roomId, id)) as unknown as { origin_server_ts: number };
      sent.push({ name, id, ts: ev.origin_server_ts });
      return id;
    };

    // Part 0: three messages a few seconds apart, one of them redacted at once.
    let pub = publish(ch.key);
    const { sessionId } = await waitForLive(ch.slug, 60_000);
    await sleep(2000);
    await send("alpha");
    await sleep(4000);
    await send("bravo");
    const regretted = await say(chatter, roomId, `regretted ${uniq()}`);
    await mx(chatter, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/redact/${encodeURIComponent(regretted)}/r${uniq()}`, { reason: "oops" });
    await sleep(4000);
    await send("charlie");
    await sleep(3000);
    await pub.stop();
    // Away: one message while the channel is reconnecting.
    await waitFor("reconnecting", async () => (await liveStatus(ch.slug)).status === "reconnecting", 60_000, 100);
    await send("gap");
    await sleep(2000);
    pub = publish(ch.key);
    await waitFor("part 1 segments", async () => parseMedia(await getText(`/hls/live/${sessionId}/360p30/index.m3u8`)).entries.some((e) => e.uri.startsWith("p1e")), 90_000, 100);
    await sleep(2000);
    await send("delta");
    await sleep(4000);
    await pub.stop();
    assert.equal((await endStream(ch.owner, sessionId)).status, 200);
    const replay = await waitFor("the replay", () => db().replay.findUnique({ where: { sessionId } }), 180_000, 250);
    const markers = replay.markers as { at: number; label: string }[];
    assert.equal(markers.length, 1, JSON.stringify(markers));
    const marker = markers[0].at;

    // The API's moments agree with the player's playlist, in order; the redacted one is not there.
    const vod = parseMedia(await getText(`/hls/live/${sessionId}/720p30/vod.m3u8`));
    const api = (await (await fetch(new URL(`/api/replays/${replay.id}/chat?at=0`, ORIGIN))).json()) as { messages: { id: string; at: number }[] };
    const mine = api.messages.filter((m) => sent.some((s) => s.id === m.id));
    assert.deepEqual(mine.map((m) => m.id), sent.map((s) => s.id), "every message once, in the order sent");
    assert.ok(!api.messages.some((m) => m.id === regretted), "the redacted message is not kept");
    const at: Record<string, number> = {};
    for (const s of sent) {
      at[s.name] = mine.find((m) => m.id === s.id)!.at;
      assert.ok(Math.abs(at[s.name] - expectedOffset(vod, s.ts)) < 0.01, `${s.name}: ${at[s.name]} vs ${expectedOffset(vod, s.ts)} from the playlist`);
    }
    assert.ok(at.alpha < at.bravo && at.bravo < at.charlie && at.charlie < marker && marker < at.delta, JSON.stringify({ at, marker }));
    assert.ok(Math.abs(at.gap - marker) <= 0.05, `the gap message at the marker: ${at.gap} vs ${marker}`);
    const ids = (...names: string[]) => names.map((n) => sent.find((s) => s.name === n)!.id);

    // Every row the chat replay ever renders, even for a moment.
    const { page, context } = await newPage();
    await page.addInitScript(() => {
      const seen = ((window as any).__replayChatSeen = [] as string[]);
      new MutationObserver((records) => {
        for (const r of records)
          for (const n of r.addedNodes)
            if (n instanceof Element) for (const el of [n, ...n.querySelectorAll("[data-event-id]")]) if (el.getAttribute("data-event-id")) seen.push(el.getAttribute("data-event-id")!);
      }).observe(document, { childList: true, subtree: true });
    });

    // A link at a moment between alpha and bravo: before anything plays, the chat is as it was then.
    const between = (at.alpha + at.bravo) / 2;
    await page.goto(`/c/${ch.slug}/replays/${replay.id}?t=${between.toFixed(1)}`);
    await waitFor("the chat at the link's moment", async () => JSON.stringify(await shown(page)) === JSON.stringify(ids("alpha")), 30_000);
    assert.ok(Math.abs(Number(await page.getByTestId("replay-chat").getAttribute("data-position")) - between) < 0.1);
    assert.equal((await video(page))?.paused ?? true, true, "nothing plays until asked");
    assert.match(await page.getByTestId("chat-message").first().innerText(), /Chatty Cathy/);
    await screenshot(page, "replay-chat-at-link");

    // Copy link at current time: the player's moment, whole seconds. The player may still be
    // settling on its start (hls.js steps over a hole at a segment's start), so the link
    // is at the link's moment or where the player was when the button was pressed.
    await page.getByTestId("replay-copy-link").click();
    const settled = Number(await page.getByTestId("replay-chat").getAttribute("data-position"));
    assert.ok(settled - between < 1.5, `the player stayed near the link's moment: ${settled} vs ${between}`);
    const copied = (await page.getByTestId("replay-copied").innerText()).match(new RegExp(`/c/${ch.slug}/replays/${replay.id}\\?t=(\\w+)$`));
    assert.ok(copied, "a link to this replay with a t");
    const t = parseReplayTime(copied[1])!;
    assert.ok(t >= Math.floor(between) && t <= Math.floor(Math.max(between, settled)), `copied t=${copied[1]}; the link's moment ${between}, the player at ${settled}`);
    assert.equal(copied[1], formatReplayTime(t), "whole seconds, as the page writes them");

    // Playing from there: bravo appears when the playhead reaches it, not before.
    await page.locator('[data-testid="replay-player"] video').waitFor({ state: "attached", timeout: 30_000 });
    await player(page, "play");
    await waitFor("playback from the link's moment", async () => {
      const v = await video(page);
      return v && !v.paused && v.time > between ? v : null;
    }, 60_000, 100);
    await waitFor("bravo when its moment plays", async () => (await shown(page))?.includes(ids("bravo")[0]), 60_000, 100);
    const when = (await video(page))!;
    assert.ok(when.time >= at.bravo - 0.5, `bravo shown at ${when.time}, sent at ${at.bravo}`);
    assert.deepEqual((await shown(page))!.slice(0, 2), ids("alpha", "bravo"));

    // Pause holds the chat where it is.
    await player(page, "pause");
    await waitFor("paused", async () => (await video(page))?.paused, 10_000, 100);
    const held = await shown(page);
    const heldAt = (await video(page))!.time;
    await sleep(3000);
    assert.deepEqual(await shown(page), held);
    assert.equal((await video(page))!.time, heldAt);

    // Seeking jumps the chat, forward and back (paused).
    const seekTo = async (t: number, expected: string[]) => {
      await player(page, { seek: t });
      await waitFor(`the chat at ${t.toFixed(1)} s`, async () => JSON.stringify(await shown(page)) === JSON.stringify(expected), 30_000, 100);
    };
    await seekTo(at.charlie + 0.5, ids("alpha", "bravo", "charlie"));
    await seekTo(between, ids("alpha"));
    await seekTo(Math.max(0, at.alpha - 1), []);
    await seekTo(marker - 0.6, ids("alpha", "bravo", "charlie"));
    await seekTo(marker + 0.3, ids("alpha", "bravo", "charlie", "gap"));
    await screenshot(page, "replay-chat-after-gap");
    await seekTo(at.delta + 0.5, ids("alpha", "bravo", "charlie", "gap", "delta"));
    assert.equal(await page.getByTestId("replay-marker").count(), 1);

    const everShown: string[] = await page.evaluate(() => (window as any).__replayChatSeen);
    assert.ok(everShown.includes(ids("alpha")[0]), "the observer saw the rows");
    assert.ok(!everShown.includes(regretted), "the redacted message never showed, not even for a moment");
    await context.close();
  });
});
