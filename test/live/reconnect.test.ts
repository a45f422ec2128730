// Outages: a session survives publisher drops within its window, plays a slate
// meanwhile, and ends as ONE replay stitched from all its parts.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { db } from "../../lib/db.ts";
import { closeQueues } from "../../lib/queue.ts";
import { closeBrowserAfter, newPage, screenshot } from "../support/browser.ts";
import { existsSync, readdirSync } from "node:fs";
import { updateChannel } from "../../lib/channels.ts";
import { ORIGIN, closeConnectionsAfter } from "../support/env.ts";
import { makeKey, makeUser } from "../support/fixtures.ts";
import {
  endStream, ffmpegProcesses, ffprobe, getText, liveChannel, liveStatus, mediaFile, parseMaster, parseMedia, publish, receivedSeconds, rolePids, setGraceSeconds, waitFor, waitForLive,
} from "../support/live.ts";
import { WEB, WORKER } from "../../scripts/roles.ts";

closeConnectionsAfter();
closeBrowserAfter();
after(() => closeQueues());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function replayOf(sessionId: string) {
  return waitFor("the replay", () => db().replay.findUnique({ where: { sessionId } }), 120_000, 100);
}

describe("reconnects", () => {
  it("three drops within the window: one session, slate in between, players keep playing, one replay with three gap markers", async () => {
    const ch = await liveChannel({ graceMinutes: "1" });
    const spare = await makeKey(ch.owner, ch.channelId, "backup encoder");
    const { page, context } = await newPage();
    await page.goto(`/c/${ch.slug}`);

    const published: number[] = [];
    let sessionId = "";
    const states: string[] = [];
    const firstSegmentDelays: number[] = [];
    const fromSpawn: number[] = [];
    const away: { stoppedAt: number; nextStartedAt?: number }[] = [];
    for (let i = 0; i < 4; i++) {
      // Any valid key of the channel continues the session (here: alternate keys).
      const pub = publish(i % 2 ? spare.key : ch.key);
      if (i > 0) away[i - 1].nextStartedAt = pub.startedAt;
      if (i === 0) {
        sessionId = (await waitForLive(ch.slug)).sessionId;
        await page.getByTestId("live-player").waitFor({ timeout: 30_000 });
      } else {
        // The new part's first segment appears quickly after the reconnect.
        await waitFor(`part ${i} segments`, async () => {
          const pl = parseMedia(await getText(`/hls/live/${sessionId}/360p30/index.m3u8`));
          return pl.entries.some((e) => e.uri.startsWith(`p${i}e`));
        }, 60_000, 25);
        const seenAt = Date.now();
        // From the reconnect reaching ingest (its first media) to the first new segment being listed.
        const part = await db().livePart.findFirstOrThrow({ where: { sessionId, index: i } });
        firstSegmentDelays.push((seenAt - part.startedAt.getTime()) / 1000);
        fromSpawn.push((seenAt - pub.startedAt) / 1000);
      }
      await sleep(6000);
      await pub.stop();
      published.push((Date.now() - pub.startedAt) / 1000);
      away.push({ stoppedAt: Date.now() });
      if (i < 3) {
        await waitFor("reconnecting", async () => (await liveStatus(ch.slug)).status === "reconnecting", 60_000, 100);
        await page.getByTestId("reconnecting").waitFor({ timeout: 60_000 });
        // The slate plays: the player's clock keeps moving while the publisher is away.
        const t0 = await page.evaluate(() => document.querySelector("video")!.currentTime);
        await waitFor("the player to play on through the slate", async () => (await page.evaluate(() => document.querySelector("video")!.currentTime)) > t0 + 2, 30_000, 250);
        if (i === 0) await screenshot(page, "channel-reconnecting");
      }
      states.push(await page.evaluate(() => (window as any).OvenPlayer?.getPlayerList?.()[0]?.getState?.() ?? "none"));
    }
    assert.ok(!states.includes("error"), `player states: ${states.join(", ")}`);

    // Media sequence continues, with discontinuities around every slate run.
    const live = parseMedia(await getText(`/hls/live/${sessionId}/720p30/index.m3u8`));
    assert.ok(live.mediaSequence > 0, "the live window has moved on, sequence numbers counting");
    const sessions = await db().liveSession.findMany({ where: { channelId: ch.channelId }, include: { parts: true } });
    assert.equal(sessions.length, 1, "one session");
    assert.equal(sessions[0].parts.length, 4);

    // Ended by the window? No: the creator ends it. One replay.
    const ended = await endStream(ch.owner, sessionId);
    assert.equal(ended.status, 200);
    const endedAt = Date.now();
    const replay = await replayOf(sessionId);
    const readyIn = (Date.now() - endedAt) / 1000;
    assert.equal(await db().replay.count({ where: { channelId: ch.channelId } }), 1);
    // Every second ingest received is in the replay (within one segment), whatever the transcode's speed.
    let received = 0;
    for (const part of sessions[0].parts) received += await receivedSeconds(part.id);
    const segment = sessions[0].segmentSeconds;
    assert.ok(Math.abs(replay.durationSeconds - received) <= segment, `replay ${replay.durationSeconds} s vs received ${received.toFixed(2)} s`);
    const sum = published.reduce((a, b) => a + b, 0);
    assert.ok(received <= sum, `ingest received ${received} s of ${sum.toFixed(1)} s of publisher wall time`);
    const markers = replay.markers as { at: number; gapSeconds: number; label: string }[];
    assert.equal(markers.length, 3);
    for (const m of markers) assert.match(m.label, /^connection lost for \d+ s$/);
    // Each gap is the time the publisher was away (the test waited for the slate to play meanwhile):
    // no shorter than that wait, no longer than from its exit to the next publisher's spawn.
    for (const [i, m] of markers.entries()) {
      const wall = (away[i].nextStartedAt! - away[i].stoppedAt) / 1000;
      assert.ok(m.gapSeconds >= 1 && m.gapSeconds <= wall + 2, `gap ${i}: ${JSON.stringify(m)}, publisher away ${wall.toFixed(1)} s`);
    }

    // The VOD: all renditions, no slate, ENDLIST, discontinuities at the joins.
    const vod = parseMaster(await getText(`/hls/live/${sessionId}/vod.m3u8`));
    assert.deepEqual(vod.map((v) => v.attrs.NAME), ["720p30", "480p30", "360p30"]);
    const top = parseMedia(await getText(`/hls/live/${sessionId}/720p30/vod.m3u8`));
    assert.ok(top.ended);
    assert.ok(!top.entries.some((e) => e.uri.startsWith("s")), "slate left out of the replay");
    assert.ok(top.entries.filter((e) => e.discontinuity).length >= 3);
    const vodTotal = top.entries.reduce((a, e) => a + e.duration, 0);
    assert.ok(Math.abs(vodTotal - replay.durationSeconds) < 0.5);

    // The replay page plays it and shows the markers on its timeline.
    await page.goto(`/c/${ch.slug}/replays/${replay.id}`);
    await page.getByTestId("replay-heading").waitFor();
    assert.equal(await page.getByTestId("replay-marker").count(), 3);
    assert.match(await page.getByTestId("replay-marker").first().getAttribute("title") ?? "", /connection lost for \d+ s/);
    await screenshot(page, "replay-page");
    await context.close();
    // Timings are the benchmarks' business (npm run bench:reconnect); here they are only reported.
    process.stdout.write(
      `# reconnect at ingest → first new segment listed (s): ${firstSegmentDelays.map((d) => d.toFixed(2)).join(", ")}` +
        ` (from publisher spawn: ${fromSpawn.map((d) => d.toFixed(2)).join(", ")}); replay ready ${readyIn.toFixed(2)} s after the end\n`,
    );
  });

  it("a reconnect after the window starts a new session: two sessions, two replays", async () => {
    const ch = await liveChannel({ graceMinutes: "1" });
    await setGraceSeconds(ch.channelId, 3);
    let pub = publish(ch.key);
    const first = (await waitForLive(ch.slug)).sessionId;
    await sleep(3000);
    await pub.stop();
    await waitFor("the window to close", async () => (await db().liveSession.findUnique({ where: { id: first } }))?.status === "ended", 60_000, 200);
    pub = publish(ch.key);
    // The first session may still be finishing (its last segments being listed): wait for the new one.
    const second = await waitFor("a new session", async () => {
      const s = await db().liveSession.findFirst({ where: { channelId: ch.channelId, id: { not: first } } });
      return s?.id;
    }, 60_000, 200);
    await waitFor("the new session to play", async () => (await liveStatus(ch.slug)).sessionId === second, 60_000, 200);
    await sleep(3000);
    await pub.stop();
    await waitFor("two replays", async () => (await db().replay.count({ where: { channelId: ch.channelId } })) === 2, 120_000, 200);
    assert.equal(await db().liveSession.count({ where: { channelId: ch.channelId } }), 2);
  });

  it("End stream while live disconnects the publisher, closes the playlists, and the next publish is a new session", async () => {
    const ch = await liveChannel({ graceMinutes: "5" });
    const pub = publish(ch.key);
    try {
      const { sessionId } = await waitForLive(ch.slug);
      await sleep(2500);
      const res = await endStream(ch.owner, sessionId);
      assert.equal(res.status, 200);
      const code = await Promise.race([pub.exited, sleep(30_000).then(() => "still running")]);
      assert.notEqual(code, "still running", "the publisher was disconnected");
      // Everything received before End stream is listed first, however far behind the transcode was.
      await waitFor("ENDLIST", async () => parseMedia(await getText(`/hls/live/${sessionId}/360p30/index.m3u8`)).ended, 120_000, 100);
      await waitFor("the channel to go offline", async () => (await liveStatus(ch.slug)).status === "offline", 30_000, 100);
      await replayOf(sessionId);
      // Ending twice is harmless; another user cannot end it.
      assert.equal((await endStream(ch.owner, sessionId)).status, 200);
      const stranger = await makeUser("stranger");
      assert.equal((await endStream(stranger, sessionId)).status, 404);
      const again = publish(ch.key);
      try {
        await waitFor("a new session", async () => (await db().liveSession.count({ where: { channelId: ch.channelId } })) === 2, 60_000, 200);
      } finally {
        await again.stop();
      }
    } finally {
      await pub.stop();
    }
  });

  it("the reconnect window ends on time even if the workers and the web app restart while reconnecting", async () => {
    const ch = await liveChannel({ graceMinutes: "1" });
    await setGraceSeconds(ch.channelId, 8);
    const pub = publish(ch.key);
    const { sessionId } = await waitForLive(ch.slug);
    await sleep(3000);
    await pub.stop();
    await waitFor("reconnecting", async () => (await liveStatus(ch.slug)).status === "reconnecting", 60_000, 100);
    const droppedAt = (await db().livePart.findFirstOrThrow({ where: { sessionId } })).endedAt!.getTime();
    const killed = [...rolePids(WORKER), ...rolePids(WEB)];
    assert.ok(killed.length >= 3, `found ${killed.length} role processes`);
    for (const pid of killed) process.kill(pid, "SIGKILL");
    const session = await waitFor("the session to end", async () => {
      const s = await db().liveSession.findUnique({ where: { id: sessionId } });
      return s?.status === "ended" ? s : null;
    }, 30_000, 100);
    const late = (session.endedAt!.getTime() - droppedAt) / 1000;
    assert.ok(late >= 7.5, `window of 8 s ended early, after ${late} s`);
    assert.equal(session.endReason, "reconnect-window-expired");
    await waitFor("web back", async () => (await fetch(new URL("/api/health", process.env.LH_TEST_BASE_URL))).ok, 30_000, 200);
    await waitFor("ENDLIST", async () => parseMedia(await getText(`/hls/live/${sessionId}/360p30/index.m3u8`)).ended, 120_000, 200);
    await replayOf(sessionId);
  });
});

describe("replays off", () => {
  it("a channel that keeps no replays gets none, and its stream's media is deleted at the end", async () => {
    const ch = await liveChannel();
    const channel = await db().channel.findUniqueOrThrow({ where: { id: ch.channelId } });
    await updateChannel(ch.owner.id, ch.channelId, { slug: channel.slug, title: channel.title, reconnectGraceMinutes: "0", keepReplays: "off" });
    const pub = publish(ch.key);
    const { sessionId } = await waitForLive(ch.slug);
    await sleep(2500);
    await pub.stop();
    await waitFor("the media to be removed", async () => !existsSync(mediaFile("live", sessionId)), 120_000, 200);
    assert.equal(await db().replay.count({ where: { channelId: ch.channelId } }), 0);
  });
});

describe("a smaller reconnect", () => {
  it("480p after 720p: the ladder follows the source, and the MP4 export re-encodes only that part, surviving a killed worker", async () => {
    const ch = await liveChannel({ graceMinutes: "1" });
    let pub = publish(ch.key, { size: "1280x720" });
    const { sessionId } = await waitForLive(ch.slug);
    await sleep(5000);
    await pub.stop();
    await waitFor("reconnecting", async () => (await liveStatus(ch.slug)).status === "reconnecting", 60_000, 100);
    pub = publish(ch.key, { size: "854x480", bitrate: "900k" });
    const top = `/hls/live/${sessionId}/720p30/index.m3u8`;
    const fed = await waitFor("the 720p playlist fed by the 480p part", async () => {
      const pl = parseMedia(await getText(top));
      return pl.entries.find((e) => e.uri.startsWith("../480p30/p1e"));
    }, 120_000, 100);
    const probe = await ffprobe(mediaFile("live", sessionId, "720p30", fed.uri), ["-show_streams"]);
    assert.equal(probe.streams.find((s: any) => s.codec_type === "video").height, 480, "never upscaled");
    assert.deepEqual(parseMaster(await getText(`/hls/live/${sessionId}/master.m3u8`)).map((v) => v.attrs.NAME), ["720p30", "480p30", "360p30"]);
    await sleep(5000);
    await pub.stop();
    await endStream(ch.owner, sessionId);
    const replay = await replayOf(sessionId);

    // Kill the worker as soon as its ffmpeg is making the MP4 (in the worker's scratch directory,
    // named after the replay); the retry must still produce a correct file.
    const exporting = await waitFor("the export to start", async () => {
      const found = ffmpegProcesses(replay.id);
      return found.length ? found : null;
    }, 20_000, 10);
    for (const w of new Set(exporting.map((p) => p.ppid))) process.kill(w, "SIGKILL");
    for (const p of exporting) {
      try {
        process.kill(p.pid, "SIGKILL");
      } catch {}
    }
    // Half-written output is never served.
    assert.equal((await fetch(new URL(`/hls/live/${sessionId}/replay.mp4`, process.env.LH_TEST_BASE_URL))).status, 404);
    const ready = await waitFor("the export to finish", async () => {
      const r = await db().replay.findUnique({ where: { id: replay.id } });
      return r?.exportStatus === "ready" ? r : null;
    }, 90_000, 250);
    assert.deepEqual(readdirSync(mediaFile("live", sessionId)).filter((f) => /\.(part|tmp)$/.test(f) || f.startsWith(".")), [], "no half-written file in the store");
    const mp4 = await ffprobe(mediaFile("live", sessionId, "replay.mp4"), ["-show_format", "-show_streams"]);
    const v = mp4.streams.find((s: any) => s.codec_type === "video");
    assert.equal(`${v.width}x${v.height}`, "1280x720", "one size throughout");
    assert.ok(Math.abs(Number(mp4.format.duration) - replay.durationSeconds) < 1.5, `mp4 ${mp4.format.duration} s vs replay ${replay.durationSeconds} s`);
    assert.ok(ready.hasPoster && ready.thumbnailCount >= 1);
    const res = await fetch(new URL(`/hls/live/${sessionId}/replay.mp4`, process.env.LH_TEST_BASE_URL), { headers: { range: "bytes=0-99" } });
    assert.equal(res.status, 206);
    assert.equal((await res.arrayBuffer()).byteLength, 100);

    // The creator's dashboard: the replay, its MP4, renaming it.
    const { page, context } = await newPage();
    await context.addCookies([{ name: "lh_session", value: ch.owner.token, url: ORIGIN }]);
    await page.goto("/dashboard");
    const row = page.getByTestId("replay-row");
    await row.getByText("Download MP4").waitFor({ timeout: 120_000 });
    assert.match(await row.innerText(), /1 reconnect/);
    await row.getByRole("button", { name: "Rename" }).click();
    await row.getByLabel("Replay title").fill("Friday night, part two");
    await row.getByRole("button", { name: "Save" }).click();
    await row.getByTestId("replay-title").getByText("Friday night, part two").waitFor();
    assert.equal((await db().replay.findUniqueOrThrow({ where: { id: replay.id } })).title, "Friday night, part two");
    await screenshot(page, "dashboard-replays");
    await context.close();
  });
});
