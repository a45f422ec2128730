// The media disk fills up during a live stream (the test platform's media
// directory is a file system of its own, scripts/mediaVolume.ts): the creator and
// the admin are told, the log says so once, earlier replays are untouched, and
// as soon as there is room the stream goes on with nothing lost.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { appendFileSync, readFileSync, readdirSync, rmSync, statSync, statfsSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { db } from "../../lib/db.ts";
import { closeQueues } from "../../lib/queue.ts";
import { BASE_URL, closeConnectionsAfter } from "../support/env.ts";
import { MEDIA_DIR, getText, liveChannel, liveStatus, parseMaster, parseMedia, publish, readLogs, receivedSeconds, waitFor, waitForLive } from "../support/live.ts";

closeConnectionsAfter();
after(() => closeQueues());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FILLER = path.join(MEDIA_DIR, ".filler");

/** Takes every free byte of the media disk: fallocate (which writes nothing), then small appends until the disk refuses. */
function fillDisk(): void {
  const fs = statfsSync(MEDIA_DIR);
  const free = fs.bavail * fs.bsize;
  execFileSync("fallocate", ["-l", String(Math.max(0, free - 1024 * 1024)), FILLER]);
  topUp();
}

/** Appends to the filler until the disk refuses. */
function topUp(): void {
  const chunk = Buffer.alloc(4096);
  for (;;) {
    try {
      appendFileSync(`${FILLER}-rest`, chunk);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOSPC") return;
      throw err;
    }
  }
}

/**
 * Keeps the disk full until the returned function is called. Earlier tests' sessions may
 * still be ending in the background, and a purge or a replay removed there frees room: once,
 * the stream under test found enough of it to publish and never met a full disk.
 */
function keepDiskFull(): () => void {
  const timer = setInterval(() => {
    try {
      topUp();
    } catch {
      // The next tick tries again.
    }
  }, 200);
  return () => clearInterval(timer);
}

function freeDisk(): void {
  rmSync(FILLER, { force: true });
  rmSync(`${FILLER}-rest`, { force: true });
}
after(freeDisk);

/** Every file of a session's media with its sha256. */
function snapshot(sessionId: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(MEDIA_DIR, p)] = createHash("sha256").update(readFileSync(p)).digest("hex");
    }
  };
  walk(path.join(MEDIA_DIR, "live", sessionId));
  return out;
}

async function dashboard(owner: { cookie: string }, channelId: string): Promise<{ warnings: string[]; status: string }> {
  const res = await fetch(new URL(`/api/channels/${channelId}/live`, BASE_URL), { headers: { cookie: owner.cookie } });
  return res.json();
}

async function storageFullGauge(): Promise<number> {
  const res = await fetch(new URL("/metrics", BASE_URL), { headers: { authorization: `Bearer ${process.env.METRICS_TOKEN}` } });
  const m = /^livehouse_media_storage_full (\d+)$/m.exec(await res.text());
  return Number(m?.[1] ?? NaN);
}

describe("a full media disk", () => {
  it("during a live stream: the creator and the admin are told, earlier replays stay whole, and when room is made the stream goes on with nothing lost", async (t) => {
    assert.ok(process.env.LH_TEST_MEDIA_DISK_MB, "the test platform could not give the media directory a disk of its own (it loop-mounts one, which needs root on Linux)");

    // An earlier stream's replay, exported.
    const earlier = await liveChannel();
    const first = publish(earlier.key);
    const firstLive = await waitForLive(earlier.slug, 60_000);
    await sleep(4000);
    await first.stop();
    const replay = await waitFor("the earlier replay's MP4", async () => {
      const r = await db().replay.findUnique({ where: { sessionId: firstLive.sessionId } });
      return r?.exportStatus === "ready" ? r : null;
    }, 120_000, 250);
    const before = snapshot(firstLive.sessionId);
    assert.ok(Object.keys(before).some((f) => f.endsWith("replay.mp4")), "the earlier replay has its MP4");

    // The disk fills up; then a creator goes live.
    fillDisk();
    const stopFilling = keepDiskFull();
    t.after(stopFilling);
    t.after(freeDisk);
    const ch = await liveChannel();
    const pub = publish(ch.key);
    t.after(() => pub.stop());
    const warned = await waitFor("the dashboard's storage warning", async () => {
      const d = await dashboard(ch.owner, ch.channelId);
      return d.warnings?.some((w) => /media storage is full/.test(w)) ? d : null;
    }, 90_000, 500);
    // The warning may come from another writer (an earlier test's slate): wait for this stream's transcode to meet the full disk too.
    await waitFor("the transcode to meet the full disk", async () => /media storage is full: segments wait on this worker/.test(readLogs()), 90_000, 500);
    assert.notEqual(warned.status, "live", "nothing could be stored, so nothing plays yet");
    assert.equal(await storageFullGauge(), 1);
    const logged = readLogs().split("\n").filter((l) => l.includes("media storage is full") && l.includes('"level":"error"'));
    assert.ok(logged.length >= 1, "the worker logs the full disk");
    assert.ok(!logged.some((l) => l.includes(ch.key)), "no stream key in the log");

    // The earlier replay is untouched and still served.
    assert.deepEqual(snapshot(firstLive.sessionId), before);
    for (const key of ["vod.m3u8", "replay.mp4", "poster.jpg"]) {
      const res = await fetch(new URL(`/hls/live/${firstLive.sessionId}/${key}`, BASE_URL));
      assert.equal(res.status, 200, key);
      await res.arrayBuffer();
    }
    assert.equal((await db().replay.findUniqueOrThrow({ where: { id: replay.id } })).exportStatus, "ready");

    // Room again: the stream plays, from where it stopped.
    await sleep(3000);
    stopFilling();
    freeDisk();
    const live = await waitForLive(ch.slug, 90_000);
    await waitFor("the warning to go", async () => !(await dashboard(ch.owner, ch.channelId)).warnings.some((w) => /media storage is full/.test(w)), 90_000, 500);
    await sleep(4000);
    await pub.stop();

    const master = parseMaster(await getText(live.hlsUrl));
    const top = live.hlsUrl.replace("master.m3u8", master[0].uri);
    const ended = await waitFor("ENDLIST", async () => {
      const pl = parseMedia(await getText(top));
      return pl.ended ? pl : null;
    }, 120_000, 250);
    const part = await db().livePart.findFirstOrThrow({ where: { sessionId: live.sessionId } });
    const session = await db().liveSession.findUniqueOrThrow({ where: { id: live.sessionId } });
    const received = await receivedSeconds(part.id);
    // Every second ingest received while the disk was full is in the playlist and the replay.
    assert.ok(ended.entries[0].pdt! - part.startedAt.getTime() < session.segmentSeconds * 1000 + 500, "the playlist starts at the beginning of the stream");
    const listed = ended.entries.reduce((s, e) => s + e.duration, 0);
    assert.ok(Math.abs(listed - received) <= session.segmentSeconds, `listed ${listed} s vs received ${received} s`);
    const made = await waitFor("the replay", () => db().replay.findUnique({ where: { sessionId: live.sessionId } }), 120_000, 250);
    assert.ok(Math.abs(made.durationSeconds - received) <= session.segmentSeconds, `replay ${made.durationSeconds} s vs received ${received} s`);
    assert.deepEqual(made.markers, [], "no gap: nothing was lost");
    assert.equal(await storageFullGauge(), 0);
    assert.ok(statSync(MEDIA_DIR).isDirectory());
    assert.match(readLogs(), /media storage has room again: publishing resumed/);
    assert.equal((await liveStatus(ch.slug)).status, "offline");
  });
});
