// No second lost: every frame ingest receives reaches the live playlists before
// ENDLIST or the slate, and the replay — also when the machine is too busy to
// transcode in real time, across a reconnect, and with the worker SIGKILLed.
// Publishers send pre-encoded files in real time (an encoder on the creator's
// computer), so the load the tests put on the machine is the one they choose.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { db } from "../../lib/db.ts";
import { closeQueues } from "../../lib/queue.ts";
import { closeBrowserAfter, pageAs, screenshot } from "../support/browser.ts";
import { BASE_URL, closeConnectionsAfter } from "../support/env.ts";
import {
  RTMP_BASE, endStream, ffmpegProcesses, ffprobe, getText, liveChannel, liveStatus, mediaFile, parseMaster, parseMedia, readLogs, receivedSeconds, waitFor, waitForLive,
} from "../support/live.ts";
import { cachedSource, cpuLoad, publishFile } from "../support/media.ts";

closeConnectionsAfter();
closeBrowserAfter();
after(() => closeQueues());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function sessionWithParts(sessionId: string) {
  return db().liveSession.findUniqueOrThrow({ where: { id: sessionId }, include: { parts: { orderBy: { index: "asc" } } } });
}

async function endlisted(hlsUrl: string, timeoutMs = 240_000) {
  const master = parseMaster(await getText(hlsUrl));
  const top = hlsUrl.replace("master.m3u8", master[0].uri);
  return waitFor("ENDLIST", async () => {
    const pl = parseMedia(await getText(top));
    return pl.ended ? pl : null;
  }, timeoutMs, 250);
}

async function replayOf(sessionId: string) {
  return waitFor("the replay", () => db().replay.findUnique({ where: { sessionId } }), 120_000, 200);
}

/** Stops the part's transcoding ffmpeg for a while: the machine "cannot keep up". */
async function stall(partId: string, ms: number): Promise<void> {
  const ff = await waitFor("the part's ffmpeg", async () => ffmpegProcesses(partId)[0], 30_000, 100);
  process.kill(ff.pid, "SIGSTOP");
  await sleep(ms);
  try {
    process.kill(ff.pid, "SIGCONT");
  } catch {} // the overload policy may have replaced it meanwhile
}

describe("no second lost", () => {
  it("60 s of 1080p30 on a busy machine with the default configuration: the transcode falls behind, the dashboard says so, and nothing is lost", async () => {
    const source = await cachedSource({ width: 1920, height: 1080, fps: 30, seconds: 60, audio: { sampleRate: 48000, channels: 2 } });
    const ch = await liveChannel({ graceMinutes: "0", ladder: "" });
    const { page, context } = await pageAs(ch.owner);
    await page.goto("/dashboard");
    const load = cpuLoad(120);
    const pub = publishFile(source, `${RTMP_BASE}/live/${ch.key}`);
    let warningSeen = "";
    try {
      const live = await waitForLive(ch.slug, 60_000);
      const part = await db().livePart.findFirstOrThrow({ where: { sessionId: live.sessionId } });
      // Whatever the load does on its own, stall the transcode for 8 s once: it must fall behind.
      await sleep(8000);
      const stalled = stall(part.id, 8000);
      const warning = page.getByTestId("transcode-warning");
      await warning.waitFor({ timeout: 60_000 });
      warningSeen = await warning.innerText();
      await screenshot(page, "dashboard-transcode-behind");
      await stalled;
      assert.equal(await pub.exited, 0, "the publisher sent the whole file");
      load.stop();

      const ended = await endlisted(live.hlsUrl);
      const session = await sessionWithParts(live.sessionId);
      const received = await receivedSeconds(part.id);
      assert.ok(received > 59, `ingest received ${received} s of the 60 s file`);
      // The live playlist listed the last second before ENDLIST.
      const last = ended.entries.at(-1)!;
      const lastEnd = last.pdt! + last.duration * 1000;
      const receivedEnd = part.startedAt.getTime() + received * 1000;
      assert.ok(lastEnd >= receivedEnd - 1000, `the playlist ends ${(receivedEnd - lastEnd) / 1000} s before the media ingest received`);
      // And the replay has every second of it, within one segment.
      const replay = await replayOf(live.sessionId);
      assert.ok(Math.abs(replay.durationSeconds - received) <= session.segmentSeconds, `replay ${replay.durationSeconds} s vs received ${received} s`);
      assert.deepEqual(replay.markers, [], "no gap to mark");
    } finally {
      load.stop();
      await pub.stop();
      await context.close();
    }
    assert.match(warningSeen, /cannot keep up: transcoding [\d.]+× real time, \d+ s behind/);
    assert.match(readLogs(), /transcode is behind the live edge/);
  });

  it("busy machine, a reconnect in the middle and the worker SIGKILLed mid-stream: one replay with every second but at most one segment per kill, gaps marked", async (t) => {
    const source = await cachedSource({ width: 1280, height: 720, fps: 30, seconds: 30, audio: { sampleRate: 48000, channels: 2 } });
    const ch = await liveChannel({ graceMinutes: "1" });
    const load = cpuLoad(120);
    t.after(() => load.stop());
    const first = publishFile(source, `${RTMP_BASE}/live/${ch.key}`, { seconds: 24 });
    const live = await waitForLive(ch.slug, 60_000);
    const part0 = await db().livePart.findFirstOrThrow({ where: { sessionId: live.sessionId } });
    await sleep(8000);
    const ff = await waitFor("the part's ffmpeg", async () => ffmpegProcesses(part0.id)[0], 30_000, 100);
    process.kill(ff.ppid, "SIGKILL"); // the worker running it
    assert.equal(await first.exited, 0);
    await waitFor("reconnecting", async () => (await liveStatus(ch.slug)).status === "reconnecting", 60_000, 200);
    const second = publishFile(source, `${RTMP_BASE}/live/${ch.key}`, { seconds: 16 });
    assert.equal(await second.exited, 0);
    await waitFor("reconnecting again", async () => (await liveStatus(ch.slug)).status === "reconnecting", 60_000, 200);
    assert.equal((await endStream(ch.owner, live.sessionId)).status, 200);
    load.stop();

    const ended = await endlisted(live.hlsUrl);
    assert.ok(ended.entries.some((e) => e.uri.startsWith("p1e")), "the second part is listed");
    const session = await sessionWithParts(live.sessionId);
    assert.equal(session.parts.length, 2);
    let received = 0;
    for (const p of session.parts) received += await receivedSeconds(p.id);
    const replay = await replayOf(live.sessionId);
    const kills = 1;
    assert.ok(replay.durationSeconds <= received + session.segmentSeconds, `replay ${replay.durationSeconds} s vs received ${received} s`);
    assert.ok(replay.durationSeconds >= received - session.segmentSeconds * (1 + kills), `replay ${replay.durationSeconds} s vs received ${received} s`);
    const markers = replay.markers as { at: number; gapSeconds: number; label: string }[];
    assert.equal(markers.filter((m) => /^connection lost/.test(m.label)).length, 1);
    // Any hole inside a part (a restart that could not resume exactly) is marked, never silent.
    const vod = parseMedia(await getText(live.hlsUrl.replace("master.m3u8", `${parseMaster(await getText(live.hlsUrl))[0].uri.split("/")[0]}/vod.m3u8`)));
    let holes = 0;
    for (let i = 1; i < vod.entries.length; i++) {
      const [a, b] = [vod.entries[i - 1], vod.entries[i]];
      if (a.uri.slice(0, 2) === b.uri.slice(0, 2) && b.pdt! - (a.pdt! + a.duration * 1000) > 500) holes++;
    }
    assert.equal(markers.filter((m) => /missing/.test(m.label)).length, holes);
  });
});

describe("the ladder for every real source", () => {
  const even = (n: number) => Math.round(n / 2) * 2;
  /** Rungs by the shorter side, aspect kept, sizes even, never upscaled; one rung at the source size when none fits. */
  function expectedSizes(ladder: string, w: number, h: number, fps: number): { name: string; width: number; height: number; fps: number }[] {
    const short = Math.min(w, h);
    const rungs = ladder.split("|").map((r) => /^(\d+)p(\d+)@/.exec(r)!).map((m) => ({ short: Number(m[1]), fps: Number(m[2]) }));
    const fit = rungs.filter((r) => r.short <= short);
    const chosen = fit.length ? fit : [{ short: short - (short % 2), fps: rungs.at(-1)!.fps }];
    return chosen.map((r) => {
      const long = even((r.short * Math.max(w, h)) / short);
      const outFps = Math.min(r.fps, Math.round(fps));
      return { name: `${r.short}p${fit.length ? r.fps : outFps}`, width: w >= h ? long : r.short, height: w >= h ? r.short : long, fps: outFps };
    });
  }

  const cases = [
    { label: "portrait 720x1280 phone", spec: { width: 720, height: 1280, fps: 30, seconds: 8, audio: { sampleRate: 48000, channels: 2 } } },
    { label: "320x240 webcam at 15 fps with 22.05 kHz mono audio", spec: { width: 320, height: 240, fps: 15, seconds: 8, audio: { sampleRate: 22050, channels: 1 } } },
    { label: "1366x768 at 60 fps with 44.1 kHz audio", spec: { width: 1366, height: 768, fps: 60, seconds: 8, audio: { sampleRate: 44100, channels: 2 } } },
    { label: "720p with no audio track", spec: { width: 1280, height: 720, fps: 30, seconds: 8, audio: null } },
    { label: "variable frame rate (frames dropped irregularly)", spec: { width: 640, height: 360, fps: 30, seconds: 8, audio: { sampleRate: 48000, channels: 2 }, vfr: true } },
  ];
  for (const c of cases) {
    it(`${c.label}: goes live, every rendition follows the rules, the replay is complete`, async () => {
      const source = await cachedSource(c.spec);
      const ch = await liveChannel({ graceMinutes: "0", ladder: "" });
      const pub = publishFile(source, `${RTMP_BASE}/live/${ch.key}`);
      const live = await waitForLive(ch.slug, 60_000);
      assert.equal(await pub.exited, 0);
      await endlisted(live.hlsUrl);
      const session = await sessionWithParts(live.sessionId);
      const expected = expectedSizes(session.ladder, c.spec.width, c.spec.height, c.spec.fps);
      const master = parseMaster(await getText(live.hlsUrl));
      assert.deepEqual(master.map((v) => v.attrs.NAME), expected.map((e) => e.name));
      for (const [i, v] of master.entries()) {
        const pl = parseMedia(await getText(live.hlsUrl.replace("master.m3u8", v.uri)));
        const seg = pl.entries[Math.floor(pl.entries.length / 2)];
        const file = mediaFile("live", live.sessionId, v.uri.split("/")[0], seg.uri);
        const probe = await ffprobe(file, ["-show_streams", "-count_packets"]);
        const video = probe.streams.find((s: any) => s.codec_type === "video");
        assert.equal(`${video.width}x${video.height}`, `${expected[i].width}x${expected[i].height}`, `${v.attrs.NAME} size`);
        assert.equal(video.r_frame_rate, `${expected[i].fps}/1`, `${v.attrs.NAME} frame rate`);
        // Constant frame rate: packet count matches duration × fps.
        const frames = Number(video.nb_read_packets);
        assert.ok(Math.abs(frames - seg.duration * expected[i].fps) <= 1, `${v.attrs.NAME}: ${frames} frames in ${seg.duration} s at ${expected[i].fps} fps`);
        const audio = probe.streams.find((s: any) => s.codec_type === "audio");
        if (c.spec.audio) {
          assert.equal(audio?.codec_name, "aac");
          assert.equal(Number(audio.sample_rate), 48000, "audio normalised to 48 kHz");
          assert.equal(audio.channels, 2, "audio normalised to stereo");
        } else {
          assert.equal(audio, undefined, "no audio track");
        }
      }
      const replay = await replayOf(live.sessionId);
      const received = await receivedSeconds(session.parts[0].id);
      assert.ok(Math.abs(replay.durationSeconds - received) <= session.segmentSeconds, `replay ${replay.durationSeconds} s vs received ${received} s`);
    });
  }
});

describe("sources that cannot be transcoded", () => {
  for (const c of [
    { label: "Sorenson H.263 video", spec: { width: 320, height: 240, fps: 15, seconds: 20, audio: { sampleRate: 44100, channels: 1 }, videoCodec: "flv1" as const }, reason: /video codec Sorenson H\.263 is not supported/ },
    { label: "no video at all", spec: { width: 0, height: 0, fps: 0, seconds: 20, audio: { sampleRate: 44100, channels: 2 }, noVideo: true }, reason: /no video/ },
  ]) {
    it(`${c.label}: refused with the reason on the dashboard and the channel page, logged once, no session`, async () => {
      const source = await cachedSource(c.spec);
      const ch = await liveChannel();
      const pub = publishFile(source, `${RTMP_BASE}/live/${ch.key}`);
      const code = await Promise.race([pub.exited, sleep(30_000).then(() => "still publishing")]);
      assert.notEqual(code, "still publishing", "the publisher was disconnected");
      await pub.stop();
      assert.equal(await db().liveSession.count({ where: { channelId: ch.channelId } }), 0);
      const res = await fetch(new URL(`/api/channels/${ch.channelId}/live`, BASE_URL), { headers: { cookie: ch.owner.cookie } });
      const dash = await res.json();
      assert.match(dash.streamProblem, c.reason);
      assert.match((await liveStatus(ch.slug)).problem ?? "", c.reason);
      const { page, context } = await pageAs(ch.owner);
      await page.goto("/dashboard");
      assert.match(await page.getByTestId("stream-problem").innerText(), c.reason);
      await screenshot(page, `dashboard-problem-${c.label.replace(/\W+/g, "-")}`);
      await page.goto(`/c/${ch.slug}`);
      assert.match(await page.getByTestId("stream-problem").innerText(), c.reason);
      await context.close();
      const lines = readLogs().split("\n").filter((l) => l.includes("source cannot be transcoded") && l.includes(ch.channelId));
      assert.equal(lines.length, 1, "logged once");
    });
  }
});
