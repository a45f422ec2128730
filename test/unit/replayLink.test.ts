// `?t=` on replay links, and the player embed's pure rules: its options, what an
// oEmbed URL names, the iframe's size within maxwidth/maxheight, the snippet.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { embedFlags, fitEmbedSize, iframeHtml, oembedTarget, pixelLimit, posterSize } from "../../lib/embed.ts";
import { formatReplayTime, parseReplayTime, replayStart } from "../../lib/replayLink.ts";
import { isFrameablePath } from "../../lib/securityHeaders.ts";

describe("?t= on replay links", () => {
  it("reads the forms other video sites use", () => {
    const cases: [string, number][] = [
      ["90", 90], ["90s", 90], ["1m30s", 90], ["1m30", 90], ["1m", 60], ["1h", 3600], ["1h2m3s", 3723], ["2h5s", 7205],
      ["1:30", 90], ["01:02:03", 3723], ["0", 0], ["12.5", 12.5], ["1M30S", 90], [" 45s ", 45], ["0:05", 5],
    ];
    for (const [raw, seconds] of cases) assert.equal(parseReplayTime(raw), seconds, raw);
  });
  it("refuses what is not a time", () => {
    for (const raw of ["", "abc", "-5", "1m-3s", "s", "h", "1:60", "1:75:00", "1e3", "Infinity", "NaN", "1h2h", "99999999999", "90;drop", "0x10", "1:2:3:4"]) {
      assert.equal(parseReplayTime(raw), null, JSON.stringify(raw));
    }
    assert.equal(parseReplayTime(undefined), null);
    assert.equal(parseReplayTime(null), null);
    assert.equal(parseReplayTime(["1m", "2m"]), 60, "the first of a repeated parameter");
  });
  it("writes links that read back", () => {
    assert.equal(formatReplayTime(90), "1m30s");
    assert.equal(formatReplayTime(90.9), "1m30s");
    assert.equal(formatReplayTime(3723), "1h2m3s");
    assert.equal(formatReplayTime(3605), "1h0m5s");
    assert.equal(formatReplayTime(45), "45s");
    assert.equal(formatReplayTime(0), "0s");
    assert.equal(formatReplayTime(-3), "0s");
    for (const s of [0, 1, 59, 60, 61, 3599, 3600, 86399, 100000]) assert.equal(parseReplayTime(formatReplayTime(s)), s);
  });
  it("starts within the replay, else at the beginning", () => {
    assert.equal(replayStart("1m30s", 600), 90);
    assert.equal(replayStart("1h", 600), 0);
    assert.equal(replayStart("garbage", 600), 0);
    assert.equal(replayStart(undefined, 600), 0);
  });
});

describe("player embed", () => {
  it("options: flags present without a value are on", () => {
    assert.deepEqual(embedFlags({}), { chat: false, autoplay: false, muted: false });
    assert.deepEqual(embedFlags({ chat: "1", autoplay: "", muted: "" }), { chat: true, autoplay: true, muted: true });
    assert.deepEqual(embedFlags({ chat: "0", autoplay: "false", muted: "no" }), { chat: false, autoplay: false, muted: false });
    assert.deepEqual(embedFlags({ chat: ["true", "0"] }), { chat: true, autoplay: false, muted: false });
  });

  it("only the embeds and the chat embed may be framed", () => {
    for (const p of ["/embed/demo", "/embed/demo/", "/embed/demo/replays/0b6c6a0e-1a7f-4c0e-9d8e-6a2f8b1c2d3e", "/c/demo/chat"]) assert.ok(isFrameablePath(p), p);
    for (const p of ["/", "/c/demo", "/c/demo/replays/0b6c6a0e-1a7f-4c0e-9d8e-6a2f8b1c2d3e", "/embed", "/embed/", "/embed/demo/other", "/dashboard", "/login", "/embed/a/replays/x/y", "/oembed"]) {
      assert.ok(!isFrameablePath(p), p);
    }
  });

  it("oEmbed names channels and replays of this site only", () => {
    const site = ["https://live.example.org"];
    const id = "0b6c6a0e-1a7f-4c0e-9d8e-6a2f8b1c2d3e";
    assert.deepEqual(oembedTarget("https://live.example.org/c/demo", site), { kind: "channel", slug: "demo" });
    assert.deepEqual(oembedTarget("https://LIVE.example.org/c/demo/?x=1#y", site), { kind: "channel", slug: "demo" });
    assert.deepEqual(oembedTarget("https://live.example.org/embed/demo", site), { kind: "channel", slug: "demo" });
    assert.deepEqual(oembedTarget(`https://live.example.org/c/demo/replays/${id.toUpperCase()}?t=1m`, site), { kind: "replay", slug: "demo", replayId: id });
    for (const bad of [
      "https://evil.example.org/c/demo", "http://live.example.org/c/demo", "https://live.example.org:444/c/demo", "https://u:p@live.example.org/c/demo",
      "https://live.example.org/", "https://live.example.org/c/demo/chat", "https://live.example.org/c/demo/replays/nope", "https://live.example.org/dashboard",
      "javascript:alert(1)", "not a url", "", "https://live.example.org/c/%E0%A4%A", "https://live.example.org/c/a%2Fb/replays/x",
    ]) assert.equal(oembedTarget(bad, site), null, bad);
  });

  it("sizes the iframe 16:9 within maxwidth and maxheight", () => {
    assert.deepEqual(fitEmbedSize(), { width: 640, height: 360 });
    assert.deepEqual(fitEmbedSize(1920, 1080), { width: 640, height: 360 }, "never larger than the default");
    assert.deepEqual(fitEmbedSize(320), { width: 320, height: 180 });
    assert.deepEqual(fitEmbedSize(undefined, 90), { width: 160, height: 90 });
    assert.deepEqual(fitEmbedSize(500, 200), { width: 355, height: 200 });
    for (const [w, h] of [[1, 1], [7, 1000], [333, 77]]) {
      const s = fitEmbedSize(w, h);
      assert.ok(s.width <= w && s.height <= h && s.width >= 1 && s.height >= 1, `${w}x${h} -> ${JSON.stringify(s)}`);
    }
    assert.equal(pixelLimit("320"), 320);
    for (const bad of [null, "", "0", "-5", "1e3", "abc", "12px"]) assert.equal(pixelLimit(bad), undefined, String(bad));
  });

  it("writes a safe iframe snippet and the poster's size", () => {
    const html = iframeHtml('https://x.org/embed/a?b=1&c="2"', 'Title <b>"&"</b>', { width: 320, height: 180 });
    assert.equal(html, '<iframe src="https://x.org/embed/a?b=1&amp;c=&quot;2&quot;" width="320" height="180" title="Title &lt;b&gt;&quot;&amp;&quot;&lt;/b&gt;" frameborder="0" allow="autoplay; fullscreen; picture-in-picture" allowfullscreen></iframe>');
    assert.deepEqual(posterSize({ width: 1280, height: 720 }), { width: 640, height: 360 });
    assert.deepEqual(posterSize({ width: 720, height: 1280 }), { width: 640, height: 1138 });
    assert.deepEqual(posterSize({ width: 320, height: 240 }), { width: 640, height: 480 });
    assert.deepEqual(posterSize(null), { width: 640, height: 360 });
  });
});
