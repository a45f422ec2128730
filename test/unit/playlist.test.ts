import assert from "node:assert/strict";
import { mkdtemp, appendFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { appendSegment, emptyPlaylist, endPlaylist, renderMasterPlaylist, renderMediaPlaylist } from "../../lib/hls/playlist.ts";
import { SegmentListTail, parseSegmentLine } from "../../lib/hls/segmentList.ts";
import { LocalMediaStore, assertSafeKey } from "../../lib/media/store.ts";
import { parseRunId, trustedValues } from "../../lib/hls/playlistCopy.ts";
import { planRenditions } from "../../lib/ffmpeg/liveLadder.ts";
import { parseLadder } from "../../lib/ladder.ts";

describe("media playlists", () => {
  it("numbers segments, keeps a sliding window and counts discontinuities that scrolled out", () => {
    let pl = emptyPlaylist(2);
    for (let i = 0; i < 6; i++) pl = appendSegment(pl, { uri: `s${i}.ts`, duration: 2, programDateTime: Date.UTC(2026, 0, 1, 0, 0, 2 * i), discontinuity: i === 3 || i === 0 });
    const full = renderMediaPlaylist(pl);
    assert.match(full, /#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-DISCONTINUITY-SEQUENCE:0/);
    assert.equal(full.match(/#EXT-X-DISCONTINUITY\n/g)?.length, 1, "no discontinuity before the very first segment");
    const win = renderMediaPlaylist(pl, { window: 2 });
    assert.match(win, /#EXT-X-MEDIA-SEQUENCE:4\n#EXT-X-DISCONTINUITY-SEQUENCE:1/);
    assert.ok(!win.includes("s3.ts") && win.includes("s4.ts") && win.includes("s5.ts"));
    assert.match(win, /#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:08.000Z\n#EXTINF:2.000,\ns4.ts/);
  });

  it("keeps the rounded EXTINF within the target duration", () => {
    let pl = appendSegment(emptyPlaylist(2), { uri: "a.ts", duration: 2.067 });
    assert.equal(pl.targetDuration, 2);
    pl = appendSegment(pl, { uri: "b.ts", duration: 2.6 });
    assert.equal(pl.targetDuration, 3);
  });

  it("ends with EXT-X-ENDLIST and lists everything once ended", () => {
    let pl = emptyPlaylist(1);
    for (let i = 0; i < 5; i++) pl = appendSegment(pl, { uri: `s${i}.ts`, duration: 1 });
    const text = renderMediaPlaylist(endPlaylist(pl), { window: 2 });
    assert.ok(text.trimEnd().endsWith("#EXT-X-ENDLIST"));
    assert.ok(text.includes("s0.ts"));
  });

  it("master lists each rendition with BANDWIDTH, RESOLUTION, CODECS", () => {
    const rs = planRenditions({ width: 1280, height: 720, fps: 30, videoCodec: null, audioCodec: "mp4a.40.2" }, parseLadder("720p30@2500k|360p30@800k"));
    const text = renderMasterPlaylist(rs, (r) => `${r.name}/index.m3u8`);
    assert.match(text, /#EXT-X-STREAM-INF:BANDWIDTH=\d+,AVERAGE-BANDWIDTH=\d+,RESOLUTION=1280x720,FRAME-RATE=30.000,CODECS="avc1.64001f,mp4a.40.2",NAME="720p30"\n720p30\/index.m3u8/);
    assert.match(text, /RESOLUTION=640x360/);
  });
});

describe("segment list", () => {
  it("parses ffmpeg's CSV lines and ignores junk", () => {
    assert.deepEqual(parseSegmentLine("p0e1-000003.ts,3.000000,4.000000"), { file: "p0e1-000003.ts", start: 3, end: 4 });
    assert.equal(parseSegmentLine("garbage"), null);
    assert.equal(parseSegmentLine("a.ts,4,4"), null);
  });

  it("follows a growing file, line by line, across partial writes", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "lh-tail-"));
    const file = path.join(dir, "list.csv");
    const tail = new SegmentListTail(file);
    assert.deepEqual(await tail.poll(), []);
    await appendFile(file, "a.ts,0.0,1.0\nb.ts,1.0,");
    assert.deepEqual((await tail.poll()).map((s) => s.file), ["a.ts"]);
    await appendFile(file, "2.0\n");
    assert.deepEqual((await tail.poll()).map((s) => s.file), ["b.ts"]);
    assert.deepEqual(await tail.poll(), []);
  });
});

describe("local media store", () => {
  it("refuses keys that could leave its root", () => {
    for (const bad of ["../x", "a/../../b", "/etc/passwd", "a//b", ".hidden", "a/./b", "a\\b", ""]) {
      assert.throws(() => assertSafeKey(bad), /unsafe/, bad);
    }
    assertSafeKey("live/0a/720p30/index.m3u8");
  });

  it("replaces files atomically and reads them back", async () => {
    const store = new LocalMediaStore(await mkdtemp(path.join(os.tmpdir(), "lh-store-")));
    await store.putText("live/a/index.m3u8", "one");
    await store.putText("live/a/index.m3u8", "two");
    assert.equal(await store.getText("live/a/index.m3u8"), "two");
    assert.deepEqual(await store.list("live/a"), [{ key: "live/a/index.m3u8", size: 3 }]);
    assert.equal(await store.size("live/a/none"), null);
  });
});

describe("the segment lists' copy in Redis: which values are trusted", () => {
  const RUN = "5a1e0b3c9d8f7e6d5c4b3a29180706f5e4d3c2b1";
  it("reads the run id from INFO server", () => {
    assert.equal(parseRunId(`# Server\r\nredis_version:7.0.15\r\nrun_id:${RUN}\r\ntcp_port:6379\r\n`), RUN);
    assert.equal(parseRunId("# Server\r\nredis_version:7.0.15\r\n"), null);
  });
  it("trusts only what the server it talks to now wrote", () => {
    const hash = { master: `${RUN} {"renditions":[]}`, "list:720p": `${RUN} {"segments":[1]}`, "list:360p": `0000000000000000000000000000000000000000 {"segments":[]}`, "list:bad": "no run id" };
    assert.deepEqual([...trustedValues(hash, RUN)], [["master", '{"renditions":[]}'], ["list:720p", '{"segments":[1]}']]);
    assert.deepEqual([...trustedValues(hash, null)], [], "a server that does not say its run id: nothing");
  });
});
