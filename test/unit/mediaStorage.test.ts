import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatBytes } from "../../lib/format.ts";
import { MEDIA_KEY, cacheControlFor, contentTypeFor, viewableSession } from "../../lib/media/layout.ts";
import { expiresAt, planRetention, type ReplayUsage } from "../../lib/media/retention.ts";
import { StorageFullError, isStorageFull } from "../../lib/media/store.ts";
import { classifyFfmpegFailure } from "../../lib/ffmpeg/failures.ts";

const S = "0a1b2c3d-0000-4000-8000-00000000abcd";
const day = 86_400_000;
const now = new Date("2026-12-07T12:00:00Z");
const ago = (days: number) => new Date(now.getTime() - days * day);

describe("media layout", () => {
  it("lets viewers fetch playlists, segments and replay files, never the segment lists", () => {
    for (const key of [MEDIA_KEY.master(S), MEDIA_KEY.mediaPlaylist(S, "720p30"), MEDIA_KEY.segment(S, "720p30", "p0e3-000012.ts"), MEDIA_KEY.segment(S, "480p30", "smkq1-000001.ts"), MEDIA_KEY.vodMaster(S), MEDIA_KEY.vodPlaylist(S, "360p30"), MEDIA_KEY.mp4(S), MEDIA_KEY.poster(S), MEDIA_KEY.thumb(S, 7)]) {
      assert.equal(viewableSession(key), S, key);
    }
    for (const key of [MEDIA_KEY.segmentList(S, "720p30"), MEDIA_KEY.masterData(S), `live/${S}/../x.ts`, `live/${S}/720p30/p0e3-000012.ts.tmp`, "slate/x.ts", `live/not-a-session/master.m3u8`]) {
      assert.equal(viewableSession(key), null, key);
    }
  });

  it("gives playlists no caching and everything else a year, with the right types", () => {
    assert.equal(cacheControlFor(MEDIA_KEY.mediaPlaylist(S, "720p30")), "no-cache, no-store, must-revalidate");
    assert.match(cacheControlFor(MEDIA_KEY.segment(S, "720p30", "p0e1-000001.ts")), /immutable/);
    assert.equal(contentTypeFor(MEDIA_KEY.mp4(S)), "video/mp4");
    assert.equal(contentTypeFor(MEDIA_KEY.master(S)), "application/vnd.apple.mpegurl");
    assert.equal(contentTypeFor(MEDIA_KEY.thumb(S, 1)), "image/jpeg");
  });
});

describe("a full store", () => {
  it("is recognised from the disk, a bucket quota and ffmpeg's words", () => {
    assert.ok(isStorageFull(Object.assign(new Error("write failed"), { code: "ENOSPC" })));
    assert.ok(isStorageFull(Object.assign(new Error("quota"), { code: "EDQUOT" })));
    assert.ok(isStorageFull(Object.assign(new Error("x"), { name: "QuotaExceeded" })));
    assert.ok(isStorageFull(new StorageFullError("/media")));
    assert.ok(isStorageFull(new Error("re-timing a slate segment: ffmpeg exited with code 1: av_interleaved_write_frame(): No space left on device")));
    assert.ok(!isStorageFull(new Error("connection refused")));
    assert.ok(!isStorageFull(null));
    assert.equal(classifyFfmpegFailure(["[segment @ 0x55] Failed to open segment 'x.ts'", "Error writing trailer: No space left on device"]).kind, "storage-full");
  });
});

describe("replay retention and the media budget", () => {
  const r = (id: string, daysOld: number, bytes: number, retentionDays: number | null = null): ReplayUsage => ({ id, createdAt: ago(daysOld), bytes, retentionDays });

  it("deletes what is past its channel's retention, or the instance's, and keeps the rest", () => {
    const plan = planRetention({ replays: [r("a", 40, 10), r("b", 10, 10), r("c", 40, 10, 0), r("d", 3, 10, 2)], liveBytes: 0, now, instanceDays: 30, budgetBytes: 0 });
    assert.deepEqual(plan.expired.sort(), ["a", "d"]);
    assert.deepEqual(plan.overBudget, []);
    assert.equal(plan.usageAfter, 20);
  });

  it("keeps everything forever with no retention anywhere", () => {
    assert.deepEqual(planRetention({ replays: [r("a", 4000, 10)], liveBytes: 5, now, instanceDays: 0, budgetBytes: 0 }).expired, []);
    assert.equal(expiresAt(ago(1), null, 0), null);
    assert.equal(expiresAt(ago(1), 0, 30), null);
    assert.deepEqual(expiresAt(ago(1), 7, 30), new Date(ago(1).getTime() + 7 * day));
  });

  it("removes the oldest replays first until the store fits its budget, counting live media but never deleting it", () => {
    const plan = planRetention({ replays: [r("new", 1, 40), r("old", 9, 40), r("mid", 5, 40)], liveBytes: 30, now, instanceDays: 0, budgetBytes: 100 });
    assert.deepEqual(plan.overBudget, ["old", "mid"]);
    assert.equal(plan.usageAfter, 70);
    assert.equal(plan.stillOver, false);
  });

  it("says so when live media alone is over the budget", () => {
    const plan = planRetention({ replays: [r("a", 1, 10)], liveBytes: 500, now, instanceDays: 0, budgetBytes: 100 });
    assert.deepEqual(plan.overBudget, ["a"]);
    assert.equal(plan.stillOver, true);
  });

  it("applies retention before the budget, so an expired replay is not counted twice", () => {
    const plan = planRetention({ replays: [r("expired", 50, 80), r("kept", 1, 50)], liveBytes: 0, now, instanceDays: 30, budgetBytes: 60 });
    assert.deepEqual(plan.expired, ["expired"]);
    assert.deepEqual(plan.overBudget, []);
  });
});

describe("sizes", () => {
  it("reads like a disk's label", () => {
    assert.equal(formatBytes(3_200_000_000), "3.2 GB");
    assert.equal(formatBytes(640_000_000), "640 MB");
    assert.equal(formatBytes(1_500_000), "1.5 MB");
    assert.equal(formatBytes(12_000), "12 kB");
  });
});
