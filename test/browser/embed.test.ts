// Embeds and sharing: the player embed may be framed by any site (headers, and
// a real cross-origin iframe in Chromium, live), the channel and replay pages
// may not; oEmbed answers valid JSON for channel and replay URLs and refuses
// the rest; the pages carry Open Graph / Twitter player tags and the oEmbed
// discovery link, with absolute URLs on PUBLIC_URL.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { db } from "../../lib/db.ts";
import { closeQueues } from "../../lib/queue.ts";
import { closeBrowserAfter, newPage, screenshot } from "../support/browser.ts";
import { BASE_URL, ORIGIN, closeConnectionsAfter } from "../support/env.ts";
import { makeChannel, makeUser, type TestUser } from "../support/fixtures.ts";
import { request } from "../support/http.ts";
import { liveChannel, publish, waitFor, waitForLive } from "../support/live.ts";

closeConnectionsAfter();
closeBrowserAfter();
after(() => closeQueues());

let owner: TestUser;
let channel: Awaited<ReturnType<typeof makeChannel>>;
let replayId: string;
let sessionId: string;
/** A page on another origin that frames whatever it is asked to. */
let other: http.Server;
let otherOrigin: string;

before(async () => {
  owner = await makeUser("embedder");
  channel = await makeChannel(owner, "Embeddable <show>");
  await db().channel.update({ where: { id: channel.id }, data: { description: "Fridays: speedruns & chat." } });
  const session = await db().liveSession.create({ data: { channelId: channel.id, status: "ended", ladder: "360p30@800k", segmentSeconds: 2, endedAt: new Date() } });
  sessionId = session.id;
  await db().livePart.create({ data: { sessionId, index: 0, width: 1280, height: 720, endedAt: new Date() } });
  const dir = path.join(process.env.MEDIA_DIR!, "live", sessionId);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "poster.jpg"), Buffer.alloc(64));
  const replay = await db().replay.create({ data: { sessionId, channelId: channel.id, title: "Speedrun night", durationSeconds: 754, hasPoster: true } });
  replayId = replay.id;
  other = http.createServer((req, res) => {
    const src = new URL(req.url ?? "/", "http://x").searchParams.get("src") ?? "";
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><title>A forum</title><p>Look at this:</p><iframe id="framed" src="${src.replace(/"/g, "&quot;")}" width="640" height="360" allow="autoplay"></iframe>`);
  });
  await new Promise<void>((r) => other.listen(0, "127.0.0.1", r));
  otherOrigin = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
  assert.notEqual(otherOrigin, ORIGIN);
});

after(() => new Promise<void>((r) => other.close(() => r())));

const csp = (h: http.IncomingHttpHeaders) => String(h["content-security-policy"] ?? "");

/** The content of every <meta property|name=…> and the oEmbed <link> of a page. */
function previewTags(html: string) {
  const decode = (s: string) => s.replace(/&amp;/g, "&").replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">");
  const meta: Record<string, string[]> = {};
  for (const m of html.matchAll(/<meta\s+(?:property|name)="([^"]+)"\s+content="([^"]*)"/g)) (meta[m[1]] ??= []).push(decode(m[2]));
  const link = /<link\s+rel="alternate"\s+type="application\/json\+oembed"[^>]*href="([^"]+)"/.exec(html) ?? /<link[^>]*type="application\/json\+oembed"[^>]*href="([^"]+)"/.exec(html);
  return { meta, oembed: link ? decode(link[1]) : null };
}

/** Checks an oEmbed answer against the specification's required fields and types for a video. */
function assertOembedVideo(body: Record<string, unknown>) {
  assert.equal(body.version, "1.0");
  assert.equal(body.type, "video");
  assert.equal(typeof body.html, "string");
  for (const k of ["width", "height"]) assert.ok(Number.isInteger(body[k]) && (body[k] as number) > 0, `${k}: ${body[k]}`);
  for (const k of ["title", "author_name", "author_url", "provider_name", "provider_url"]) assert.equal(typeof body[k], "string", k);
  assert.ok(Number.isInteger(body.cache_age));
  const thumbs = ["thumbnail_url", "thumbnail_width", "thumbnail_height"].filter((k) => k in body);
  assert.ok(thumbs.length === 0 || thumbs.length === 3, "thumbnail fields all or none");
  if (thumbs.length) {
    assert.equal(typeof body.thumbnail_url, "string");
    assert.ok(Number.isInteger(body.thumbnail_width) && Number.isInteger(body.thumbnail_height));
  }
  for (const k of ["author_url", "provider_url", ...(thumbs.length ? ["thumbnail_url"] : [])]) assert.ok(String(body[k]).startsWith(`${ORIGIN}/`), `${k} absolute on PUBLIC_URL: ${body[k]}`);
  const iframe = /^<iframe src="([^"]+)" width="(\d+)" height="(\d+)" /.exec(String(body.html));
  assert.ok(iframe, String(body.html));
  assert.equal(Number(iframe[2]), body.width);
  assert.equal(Number(iframe[3]), body.height);
  return iframe[1].replace(/&amp;/g, "&");
}

const oembed = (query: string) => request("GET", `/oembed?${query}`);

describe("embeds and sharing", () => {
  it("the player embeds may be framed by any site; the channel and replay pages by none", async () => {
    for (const p of [`/embed/${channel.slug}`, `/embed/${channel.slug}?chat=1&autoplay&muted`, `/embed/${channel.slug}/replays/${replayId}?t=1m30s&chat=1`, `/c/${channel.slug}/chat`]) {
      const res = await request("GET", p);
      assert.equal(res.status, 200, p);
      assert.match(csp(res.headers), /frame-ancestors \*/, p);
      assert.equal(res.headers["x-frame-options"], undefined, p);
    }
    for (const p of [`/c/${channel.slug}`, `/c/${channel.slug}/replays/${replayId}`, "/", "/login"]) {
      const res = await request("GET", p);
      assert.equal(res.status, 200, p);
      assert.match(csp(res.headers), /frame-ancestors 'none'/, p);
      assert.equal(res.headers["x-frame-options"], "DENY", p);
    }
    assert.equal((await request("GET", "/embed/no-such-channel-here")).status, 404);
    assert.equal((await request("GET", `/embed/${channel.slug}/replays/00000000-0000-4000-8000-000000000000`)).status, 404);
  });

  it("oEmbed: valid video JSON for channel and replay URLs, maxwidth/maxheight honoured, other formats 501, unknown URLs 404", async () => {
    const channelUrl = `${ORIGIN}/c/${channel.slug}`;
    const res = await oembed(`url=${encodeURIComponent(channelUrl)}&format=json`);
    assert.equal(res.status, 200, res.text);
    assert.match(String(res.headers["content-type"]), /^application\/json/);
    const ch = res.json();
    const src = assertOembedVideo(ch);
    assert.equal(src, `${ORIGIN}/embed/${channel.slug}`);
    assert.equal(ch.title, "Embeddable <show>");
    assert.equal(ch.author_name, owner.displayName);
    assert.equal(ch.author_url, channelUrl);
    assert.equal(ch.provider_url, `${ORIGIN}/`);
    assert.deepEqual([ch.width, ch.height], [640, 360]);
    assert.equal(ch.thumbnail_url, `${ORIGIN}/hls/live/${sessionId}/poster.jpg`, "the latest replay's poster");
    assert.deepEqual([ch.thumbnail_width, ch.thumbnail_height], [640, 360]);
    assert.match(ch.html, /title="Embeddable &lt;show&gt;"/, "escaped in the snippet");
    assert.equal((await oembed(`url=${encodeURIComponent(channelUrl)}`)).status, 200, "json is the default format");

    const replayUrl = `${ORIGIN}/c/${channel.slug}/replays/${replayId}?t=1m30s`;
    const rp = (await oembed(`url=${encodeURIComponent(replayUrl)}&format=json&maxwidth=320`)).json();
    assert.equal(assertOembedVideo(rp), `${ORIGIN}/embed/${channel.slug}/replays/${replayId}?t=1m30s`, "a link at a moment embeds that moment");
    assert.equal(rp.title, "Speedrun night");
    assert.deepEqual([rp.width, rp.height], [320, 180]);
    const small = (await oembed(`url=${encodeURIComponent(replayUrl)}&maxwidth=1000&maxheight=100`)).json();
    assertOembedVideo(small);
    assert.ok(small.width <= 1000 && small.height <= 100, JSON.stringify(small));

    // The embed page's own URL names the channel too.
    assert.equal((await oembed(`url=${encodeURIComponent(`${ORIGIN}/embed/${channel.slug}`)}`)).status, 200);

    assert.equal((await oembed(`url=${encodeURIComponent(channelUrl)}&format=xml`)).status, 501);
    assert.equal((await oembed(`url=${encodeURIComponent(channelUrl)}&format=yaml`)).status, 501);
    assert.equal((await oembed("format=json")).status, 400);
    for (const url of [
      "https://evil.example.org/c/" + channel.slug,
      `${ORIGIN.replace("127.0.0.1", "localhost")}/c/${channel.slug}`,
      `${ORIGIN}/c/no-such-channel-here`,
      `${ORIGIN}/c/${channel.slug}/replays/00000000-0000-4000-8000-000000000000`,
      `${ORIGIN}/c/${channel.slug}/replays/not-a-replay`,
      `${ORIGIN}/dashboard`,
      `${ORIGIN}/`,
      "not a url",
    ]) assert.equal((await oembed(`url=${encodeURIComponent(url)}&format=json`)).status, 404, url);
    // A replay under another channel's name is not that channel's.
    const stranger = await makeChannel(await makeUser("stranger"), "Other");
    assert.equal((await oembed(`url=${encodeURIComponent(`${ORIGIN}/c/${stranger.slug}/replays/${replayId}`)}`)).status, 404);
  });

  it("channel and replay pages carry Open Graph and Twitter player tags and the oEmbed link, on PUBLIC_URL whatever the Host", async () => {
    for (const [pagePath, embedPath, title] of [
      [`/c/${channel.slug}`, `/embed/${channel.slug}`, "Embeddable <show>"],
      [`/c/${channel.slug}/replays/${replayId}`, `/embed/${channel.slug}/replays/${replayId}`, "Speedrun night"],
    ]) {
      // A forged Host must not change where previews point.
      const res = await request("GET", pagePath, { headers: { host: "evil.example.org" } });
      assert.equal(res.status, 200);
      const { meta, oembed: link } = previewTags(res.text);
      assert.deepEqual(meta["og:title"], [title], pagePath);
      assert.deepEqual(meta["og:url"], [`${ORIGIN}${pagePath}`]);
      assert.deepEqual(meta["og:type"], ["video.other"]);
      assert.ok(meta["og:description"]?.[0]?.length, "a description");
      assert.deepEqual(meta["og:image"], [`${ORIGIN}/hls/live/${sessionId}/poster.jpg`]);
      assert.deepEqual(meta["og:image:width"], ["640"]);
      assert.equal(meta["og:video"]?.[0], `${ORIGIN}${embedPath}`);
      assert.deepEqual(meta["og:video:type"], ["text/html"]);
      assert.deepEqual(meta["twitter:card"], ["player"]);
      assert.deepEqual(meta["twitter:player"], [`${ORIGIN}${embedPath}`]);
      assert.deepEqual(meta["twitter:image"], [`${ORIGIN}/hls/live/${sessionId}/poster.jpg`]);
      assert.ok(link?.startsWith(`${ORIGIN}/oembed?`), String(link));
      const discovered = await request("GET", link!.slice(ORIGIN.length));
      assert.equal(discovered.status, 200);
      assert.equal(discovered.json().title, title);
    }
    assert.match((await request("GET", `/c/${channel.slug}`)).text, /Fridays: speedruns &amp; chat\./);
  });

  it("in Chromium, another origin frames the live player embed (with chat) and it plays; the channel page refuses to be framed", async () => {
    const live = await liveChannel();
    const pub = publish(live.key);
    try {
      await waitForLive(live.slug, 60_000);
      const { page, context } = await newPage();
      const refusals: string[] = [];
      page.on("console", (m) => {
        if (/frame/i.test(m.text())) refusals.push(m.text());
      });
      await page.goto(`${otherOrigin}/?src=${encodeURIComponent(`${BASE_URL}/embed/${live.slug}?chat=1&autoplay&muted`)}`);
      const framed = page.frameLocator("#framed");
      await framed.getByTestId("player-embed").waitFor({ timeout: 30_000 });
      await framed.getByTestId("chat").waitFor();
      await framed.getByTestId("live-player").waitFor({ timeout: 30_000 });
      const frame = page.frames().find((f) => f.url().startsWith(`${BASE_URL}/embed/`))!;
      assert.ok(frame, "the embed's frame");
      // Autoplay (muted) in a cross-origin frame: the picture moves.
      await waitFor("the framed player to play", async () => (await frame.evaluate(() => document.querySelector("video")?.currentTime ?? 0)) > 1, 60_000, 250);
      assert.equal(await frame.evaluate(() => document.querySelector("video")!.muted), true);
      assert.equal(await framed.locator(".site-header").isVisible(), false, "no site chrome in the embed");
      await screenshot(page, "embed-cross-origin");

      // The channel page itself, framed by the same foreign page: refused by the browser.
      await page.goto(`${otherOrigin}/?src=${encodeURIComponent(`${BASE_URL}/c/${live.slug}`)}`);
      await page.waitForLoadState("load");
      await waitFor("the refusal to be reported", async () => refusals.some((t) => /refused|X-Frame-Options|frame-ancestors/i.test(t)), 15_000, 100);
      assert.equal(await page.frameLocator("#framed").getByTestId("channel-title").count(), 0, "nothing of the channel page renders in the frame");
      await context.close();
    } finally {
      await pub.stop();
    }
  });
});
