import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { parseRange } from "../../app/mediaHttp.ts";
import { planRenditions } from "../../lib/ffmpeg/liveLadder.ts";
import { concatCopySpec, normaliseStretchSpec } from "../../lib/ffmpeg/replayExport.ts";
import { slateCacheName, slateEncodeSpec, slateRetimeSpec } from "../../lib/ffmpeg/slate.ts";
import { specToArgs } from "../../lib/ffmpeg/spec.ts";
import type { Segment } from "../../lib/hls/playlist.ts";
import { parseLadder } from "../../lib/ladder.ts";
import { LivePlaylists } from "../../lib/hls/livePlaylists.ts";
import { MEDIA_KEY } from "../../lib/media/layout.ts";
import { LocalMediaStore } from "../../lib/media/store.ts";
import { gapMarkers, replaySegments, writeReplayPlaylists } from "../../lib/replays.ts";

const seg = (part: number, n: number, extra: Partial<Segment> = {}): Segment => ({ uri: `p${part}e1-${n}.ts`, duration: 2, part, ...extra });

describe("replay stitching", () => {
  const live: Segment[] = [
    seg(0, 0), seg(0, 1), seg(0, 2),
    { uri: "sx-0.ts", duration: 2, slate: true, discontinuity: true }, { uri: "sx-1.ts", duration: 2, slate: true },
    seg(1, 0, { discontinuity: true }), seg(1, 1),
    { uri: "sy-0.ts", duration: 2, slate: true, discontinuity: true },
    seg(2, 0, { discontinuity: true }),
  ];

  it("joins the parts in order, leaves the slate out, keeps a discontinuity at each join", () => {
    const out = replaySegments({ version: 1, targetDuration: 2, firstSequence: 0, segments: live, ended: true });
    assert.deepEqual(out.map((s) => s.uri), ["p0e1-0.ts", "p0e1-1.ts", "p0e1-2.ts", "p1e1-0.ts", "p1e1-1.ts", "p2e1-0.ts"]);
    assert.deepEqual(out.map((s) => Boolean(s.discontinuity)), [false, false, false, true, false, true]);
  });

  it("marks each gap at the replay time where it happened, with its length", () => {
    const out = replaySegments({ version: 1, targetDuration: 2, firstSequence: 0, segments: live, ended: true });
    const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
    const markers = gapMarkers(out, [
      { index: 1, startedAt: t(50), endedAt: t(54) },
      { index: 0, startedAt: t(0), endedAt: t(13) },
      { index: 2, startedAt: t(91), endedAt: null },
    ]);
    assert.deepEqual(markers, [
      { at: 6, gapSeconds: 37, label: "connection lost for 37 s" },
      { at: 10, gapSeconds: 37, label: "connection lost for 37 s" },
    ]);
  });
});

describe("holes inside a part", () => {
  it("marks media missing between two transcode runs of one part, and nothing for seamless runs", () => {
    const at = (ms: number) => 1_700_000_000_000 + ms;
    const segments: Segment[] = [
      seg(0, 0, { programDateTime: at(0) }),
      seg(0, 1, { programDateTime: at(2000) }),
      // a restart that resumed exactly: no marker
      seg(0, 2, { programDateTime: at(4000), discontinuity: true }),
      // 1.5 s missing before this one
      seg(0, 3, { programDateTime: at(7500), discontinuity: true }),
      seg(0, 4, { programDateTime: at(9500) }),
    ];
    assert.deepEqual(gapMarkers(segments, [{ index: 0, startedAt: new Date(at(0)), endedAt: null }]), [
      { at: 6, gapSeconds: 1.5, label: "1.5 s missing (transcoder restarted)" },
    ]);
  });
});

describe("slate and export commands", () => {
  it("slate: one cached file per shape, re-timed by stream copy", () => {
    const shape = { width: 1280, height: 720, fps: 30, seconds: 2, audio: true };
    assert.equal(slateCacheName(shape), "slate-v1-1280x720-30-2s-a.ts");
    const enc = specToArgs(slateEncodeSpec(shape, "/tmp/x.ts", null));
    assert.ok(enc.includes("anullsrc=r=48000:cl=stereo"));
    assert.equal(enc[enc.indexOf("-g") + 1], "60");
    assert.ok(!enc.join(" ").includes("drawtext"), "no font: no text");
    assert.ok(specToArgs(slateEncodeSpec(shape, "/tmp/x.ts", "/f.ttf")).join(" ").includes("Be right back"));
    const re = specToArgs(slateRetimeSpec("/c.ts", 6, "/o.ts"));
    assert.deepEqual(re.slice(re.indexOf("-c"), re.indexOf("-c") + 2), ["-c", "copy"]);
    assert.equal(re[re.indexOf("-output_ts_offset") + 1], "6.000");
  });

  it("export: copy when the shape matches, re-encode to the replay's size when it does not", () => {
    assert.ok(specToArgs(concatCopySpec("/l.txt", "/o.mp4")).includes("aac_adtstoasc"));
    assert.deepEqual(specToArgs(normaliseStretchSpec("/l.txt", "/o.ts", null)).slice(-5), ["-c", "copy", "-f", "mpegts", "/o.ts"]);
    const top = planRenditions({ width: 1280, height: 720, fps: 30, videoCodec: null, audioCodec: "mp4a.40.2" }, parseLadder("720p30@2500k"))[0];
    const re = specToArgs(normaliseStretchSpec("/l.txt", "/o.ts", top));
    assert.match(re[re.indexOf("-vf") + 1], /^scale=1280:720/);
    assert.equal(re[re.indexOf("-c:v") + 1], "libx264");
  });
});

describe("HTTP ranges", () => {
  it("parses single ranges and refuses impossible ones", () => {
    assert.equal(parseRange(undefined, 100), null);
    assert.deepEqual(parseRange("bytes=0-9", 100), { start: 0, end: 9 });
    assert.deepEqual(parseRange("bytes=90-", 100), { start: 90, end: 99 });
    assert.deepEqual(parseRange("bytes=-10", 100), { start: 90, end: 99 });
    assert.deepEqual(parseRange("bytes=50-500", 100), { start: 50, end: 99 });
    assert.equal(parseRange("bytes=100-", 100), "invalid");
    assert.equal(parseRange("bytes=9-1", 100), "invalid");
    assert.equal(parseRange("items=0-1", 100), "invalid");
    assert.equal(parseRange("bytes=0-1,5-6", 100), null);
  });
});

describe("closing a session's playlists", () => {
  const renditions = planRenditions({ width: 1280, height: 720, fps: 30, videoCodec: null, audioCodec: "mp4a.40.2" }, parseLadder("720p30@2500k|360p30@800k"));

  async function session(segments: Segment[]) {
    const dir = mkdtempSync(path.join(os.tmpdir(), "lh-close-"));
    const store = new LocalMediaStore(dir);
    const sessionId = randomUUID();
    const playlists = new LivePlaylists(store, sessionId, 2);
    await playlists.writeMaster(renditions);
    for (const r of renditions) if (segments.length) await playlists.appendMany(r.name, segments.map((seg) => ({ seg })));
    // A new writer, as the finalize job is: it reads what the transcode left.
    const closer = new LivePlaylists(store, sessionId, 2);
    return { dir, store, sessionId, closer };
  }

  it("ends every rendition and writes the replay's playlists in the same round", async () => {
    const { dir, store, sessionId, closer } = await session([seg(0, 0), seg(0, 1), { uri: "sx-0.ts", duration: 2, slate: true }, seg(1, 0)]);
    try {
      let top: Segment[] = [];
      await closer.end(async (master, closed) => {
        top = await writeReplayPlaylists(store, sessionId, 2, master, closed);
      });
      assert.deepEqual(top.map((s) => s.uri), ["p0e1-0.ts", "p0e1-1.ts", "p1e1-0.ts"]);
      for (const r of renditions) {
        assert.match((await store.getText(MEDIA_KEY.mediaPlaylist(sessionId, r.name)))!, /#EXT-X-ENDLIST\n$/);
        const vod = (await store.getText(MEDIA_KEY.vodPlaylist(sessionId, r.name)))!;
        assert.match(vod, /#EXT-X-PLAYLIST-TYPE:VOD/);
        assert.doesNotMatch(vod, /sx-0\.ts/);
        assert.match(vod, /#EXT-X-ENDLIST\n$/);
      }
      const master = (await store.getText(MEDIA_KEY.vodMaster(sessionId)))!;
      assert.deepEqual(master.split("\n").filter((l) => l && !l.startsWith("#")), renditions.map((r) => `${r.name}/vod.m3u8`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("writes no replay playlist for a session that listed nothing", async () => {
    const { dir, store, sessionId, closer } = await session([]);
    try {
      let top: Segment[] | null = null;
      await closer.end(async (master, closed) => {
        top = await writeReplayPlaylists(store, sessionId, 2, master, closed);
      });
      assert.deepEqual(top, []);
      assert.equal(await store.getText(MEDIA_KEY.vodMaster(sessionId)), null);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
