// A real ffmpeg publisher → ingest → one ffmpeg per stream in a worker → HLS.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { db } from "../../lib/db.ts";
import { QUEUE, closeQueues, queue, transcodeJobId } from "../../lib/queue.ts";
import { closeConnectionsAfter } from "../support/env.ts";
import { ffprobe, getText, liveChannel, liveStatus, mediaFile, parseMaster, parseMedia, publish, readLogs, waitFor, waitForLive } from "../support/live.ts";

closeConnectionsAfter();
after(() => closeQueues());

describe("publishing a 720p30 stream", () => {
  it("produces an ABR ladder of the rungs ≤ 720p with aligned keyframes, correct codecs and ingest-clock PROGRAM-DATE-TIME", async () => {
    const ch = await liveChannel({ ladder: "1080p60@6000k|720p30@2500k|480p30@1200k|360p30@800k" });
    const pub = publish(ch.key);
    try {
      const live = await waitForLive(ch.slug);
      const master = parseMaster(await getText(live.hlsUrl));
      assert.deepEqual(master.map((v) => v.attrs.NAME), ["720p30", "480p30", "360p30"], "exactly the rungs ≤ 720p");
      assert.deepEqual(master.map((v) => v.attrs.RESOLUTION), ["1280x720", "854x480", "640x360"]);
      for (const v of master) {
        assert.match(v.attrs.CODECS, /^avc1\.6400[0-9a-f]{2},mp4a\.40\.2$/);
        assert.ok(Number(v.attrs.BANDWIDTH) > 0);
      }
      const base = live.hlsUrl.replace(/master\.m3u8$/, "");

      // Let a few segments accumulate in every rendition.
      const lists = await waitFor("4 segments in each rendition", async () => {
        const all = await Promise.all(master.map(async (v) => parseMedia(await getText(base + v.uri))));
        return all.every((m) => m.entries.length >= 4) ? all : null;
      }, 30_000);

      const session = await db().liveSession.findUniqueOrThrow({ where: { id: live.sessionId }, include: { parts: true } });
      for (const [i, v] of master.entries()) {
        const pl = lists[i];
        assert.equal(pl.targetDuration, 1, "1 s segments (HLS_SEGMENT_SECONDS=1 in tests)");
        const seg = pl.entries[2];
        assert.ok(seg.duration >= 0.9 && seg.duration <= 1.1, `segment duration ${seg.duration}`);
        const file = mediaFile("live", live.sessionId, v.attrs.NAME, seg.uri);
        const probe = await ffprobe(file, ["-show_streams"]);
        const video = probe.streams.find((s: any) => s.codec_type === "video");
        const audio = probe.streams.find((s: any) => s.codec_type === "audio");
        assert.equal(`${video.width}x${video.height}`, v.attrs.RESOLUTION);
        assert.equal(video.codec_name, "h264");
        assert.equal(video.profile, "High");
        assert.equal(video.r_frame_rate, "30/1");
        assert.equal(audio.codec_name, "aac");
        // Every segment starts with a keyframe, and keyframes fall exactly 1 s apart (30 frames).
        const frames = await ffprobe(file, ["-select_streams", "v", "-show_entries", "frame=key_frame,pts_time"]);
        assert.equal(frames.frames[0].key_frame, 1, "segment starts with a keyframe");
        assert.equal(frames.frames.filter((f: any) => f.key_frame === 1).length, 1, "one keyframe per 1 s segment: none on scene cuts");
        assert.equal(frames.frames.length, 30);
      }
      // PROGRAM-DATE-TIME comes from the ingest wall clock: the first segment starts when we started publishing.
      const firstPdt = lists[0].entries[0].pdt!;
      assert.ok(Math.abs(firstPdt - pub.startedAt) < 1000, `first PDT ${new Date(firstPdt).toISOString()} vs publish ${new Date(pub.startedAt).toISOString()}`);
      const mid = lists[0].entries[3];
      assert.ok(Math.abs(mid.pdt! - (firstPdt + 3000)) < 150, "PDT advances with the media");
      assert.ok(Math.abs(session.parts[0].startedAt.getTime() - pub.startedAt) < 1000);

      // The key never left ingest: not in job data, not in any log line.
      const job = await queue(QUEUE.transcode).getJob(transcodeJobId(session.parts[0].id));
      assert.deepEqual(job?.data, { partId: session.parts[0].id });
      assert.ok(!readLogs().includes(ch.key), "stream key found in a log");
      assert.ok(!(await getText(`/c/${ch.slug}`)).includes(ch.key));
    } finally {
      await pub.stop();
    }
    // Publisher gone, no reconnect window: the session ends and the playlists close.
    await waitFor("session to end", async () => (await liveStatus(ch.slug)).status === "offline", 120_000);
    const session = await db().liveSession.findFirstOrThrow({ where: { channelId: ch.channelId } });
    assert.equal(session.status, "ended");
    await waitFor("EXT-X-ENDLIST", async () => parseMedia(await getText(`/hls/live/${session.id}/360p30/index.m3u8`)).ended, 120_000);
  });

  it("follows the source: a 480p publish gets only 480p and 360p, never upscaled", async () => {
    const ch = await liveChannel();
    const pub = publish(ch.key, { size: "854x480" });
    try {
      const live = await waitForLive(ch.slug);
      const master = parseMaster(await getText(live.hlsUrl));
      assert.deepEqual(master.map((v) => v.attrs.RESOLUTION), ["854x480", "640x360"]);
    } finally {
      await pub.stop();
    }
  });
});
