// The channel chat widget in a real Chromium against the stack's Synapse:
// guests, logged-in viewers, a separate Matrix client, hostile messages,
// scrolling, the chat-only embed and the "unavailable" state.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { Page } from "playwright-core";
import { roomAlias, virtualUserId } from "../../lib/matrix/ids.ts";
import { closeBrowserAfter, newPage, pageAs, screenshot } from "../support/browser.ts";
import { BASE_URL, ORIGIN, closeConnectionsAfter } from "../support/env.ts";
import { makeChannel, makeUser, uniq, type TestUser } from "../support/fixtures.ts";
import { request } from "../support/http.ts";
import { HS_URL, channelRoom, join, mx, recentEvents, registeredUser, say, waitFor, type MatrixUser } from "../support/matrix.ts";

closeConnectionsAfter();
closeBrowserAfter();

const quietLogger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  getChild() {
    return quietLogger;
  },
};

/**
 * matrix-js-sdk in Node leaves each request's timeout timer (up to 110 s for a
 * sync) running after the request has finished or the client has stopped. Runs
 * `fn` with such long timers unreferenced, so they cannot keep this file's
 * process alive once the tests are done.
 */
async function withUnrefLongTimers<T>(fn: () => Promise<T>): Promise<T> {
  const original = globalThis.setTimeout;
  globalThis.setTimeout = ((cb: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const t = original(cb, ms, ...args);
    if ((ms ?? 0) >= 20_000) t.unref();
    return t;
  }) as typeof setTimeout;
  try {
    return await fn();
  } finally {
    globalThis.setTimeout = original;
  }
}

const message = (page: Page, text: string) => page.getByTestId("chat-message").filter({ hasText: text });

/** Scroll geometry of the chat log. */
const logGeometry = (page: Page) =>
  page.getByTestId("chat-log").evaluate((el) => ({ top: el.scrollTop, height: el.scrollHeight, client: el.clientHeight }));

describe("channel chat in Chromium", () => {
  let owner: TestUser;
  let channel: Awaited<ReturnType<typeof makeChannel>>;
  let roomId: string;
  let alias: string;
  let poster: MatrixUser;
  const guestText = `hello from a guest ${uniq()}`;
  const userText = `hello from livehouse ${uniq()}`;

  before(async () => {
    owner = await makeUser("chatowner");
    channel = await makeChannel(owner, "Chatty show");
    roomId = await channelRoom(channel.id);
    alias = roomAlias(channel.slug);
    poster = await registeredUser();
    // Named before joining, so the join itself carries the name.
    await mx(poster, "PUT", `/_matrix/client/v3/profile/${encodeURIComponent(poster.userId)}/displayname`, { displayname: "Early Bird" });
    await join(poster, roomId);
    for (const n of [1, 2, 3]) await say(poster, roomId, `earlier message ${n}`);
  });

  it("lets a guest read earlier history at once, choose a display name, post, and stay the same guest after a reload", async () => {
    const { page, context } = await newPage();
    await page.goto(`/c/${channel.slug}`);
    // The widget sits beside the player.
    const [player, chat] = await Promise.all([page.getByTestId("offline-slate").boundingBox(), page.getByTestId("chat").boundingBox()]);
    assert.ok(player && chat && chat.x > player.x + player.width - 1, "chat is the right-hand column");

    for (const n of [1, 2, 3]) await message(page, `earlier message ${n}`).waitFor();
    const first = message(page, "earlier message 1");
    assert.equal(await first.getAttribute("data-sender"), poster.userId);
    assert.match((await first.getAttribute("data-event-id")) ?? "", /^\$/);
    assert.match(await first.innerText(), /Early Bird/);
    const time = first.locator("time");
    assert.match(await time.innerText(), /^\d\d:\d\d$/);
    assert.ok(((await time.getAttribute("title")) ?? "").length > 10, "full timestamp in the title");
    assert.equal(await page.getByTestId("chat-alias").innerText(), alias);

    // Reading needs no name; posting does.
    assert.equal(await page.getByTestId("chat-input").count(), 0);
    await page.getByText("Choose a display name").waitFor();
    await screenshot(page, "chat-guest-choose-name");
    await page.getByTestId("chat-name-input").fill("Guest Gina");
    await page.getByTestId("chat-name-save").click();
    await page.getByTestId("chat-input").fill(guestText);
    await page.getByTestId("chat-send").click();
    const mine = message(page, guestText);
    await mine.waitFor();
    await waitFor("the sent message to get its event id", async () => /^\$/.test((await mine.getAttribute("data-event-id")) ?? ""));
    assert.match(await mine.innerText(), /Guest Gina/);
    assert.equal(await page.getByTestId("chat-input").inputValue(), "", "the composer is cleared after sending");
    const guestId = (await mine.getAttribute("data-sender"))!;

    // The homeserver has it, from a guest account with the chosen name.
    const onServer = (await recentEvents(poster, roomId)).find((e) => e.content.body === guestText);
    assert.ok(onServer, "message is in the room");
    assert.equal(onServer.sender, guestId);
    const profile = await mx<{ displayname: string }>(poster, "GET", `/_matrix/client/v3/profile/${encodeURIComponent(guestId)}`);
    assert.equal(profile.displayname, "Guest Gina");
    await screenshot(page, "chat-guest-posted");

    await page.reload();
    await message(page, guestText).waitFor();
    await page.getByTestId("chat-input").waitFor();
    assert.equal(await page.getByTestId("chat-name-input").count(), 0, "no name prompt after a reload");
    assert.match(await page.getByTestId("chat-identity").innerText(), /Guest Gina/);
    await page.getByTestId("chat-input").fill("still me");
    await page.getByTestId("chat-send").click();
    await waitFor("the second message", async () => (await message(page, "still me").getAttribute("data-sender")) === guestId);
    await context.close();
  });

  it("reads without a single request to the homeserver; the first message makes the guest account and joins", async () => {
    const { page, context } = await newPage();
    const hs = new URL(HS_URL).origin;
    const toHomeserver: string[] = [];
    await context.route(`${hs}/**`, (route) => {
      toHomeserver.push(new URL(route.request().url()).pathname);
      return route.continue();
    });
    await page.goto(`/c/${channel.slug}`);
    await message(page, "earlier message 1").waitFor();
    const live = `live while reading ${uniq()}`;
    await say(poster, roomId, live);
    await message(page, live).waitFor();
    assert.equal(toHomeserver.join(" "), "", "reading asked the homeserver nothing");

    await page.getByTestId("chat-name-input").fill("Reader Rita");
    await page.getByTestId("chat-name-save").click();
    assert.equal(toHomeserver.join(" "), "", "choosing a name before posting asks the homeserver nothing either");
    const text = `first words ${uniq()}`;
    await page.getByTestId("chat-input").fill(text);
    await page.getByTestId("chat-send").click();
    const mine = message(page, text);
    await waitFor("the message to come back through the feed", async () => /^\$/.test((await mine.getAttribute("data-event-id")) ?? ""));
    assert.match(await mine.innerText(), /Reader Rita/);
    assert.ok(toHomeserver.some((p) => p.endsWith("/register")), `a guest account was made: ${toHomeserver.join(" ")}`);
    assert.ok(toHomeserver.some((p) => p.includes("/join/")), "and it joined the room");
    assert.equal(toHomeserver.filter((p) => p.endsWith("/sync")).length, 0, "nothing syncs");
    await context.close();
  });

  it("lets a logged-in user chat as their virtual Matrix user, seen by (and seeing) a separate Matrix client", async () => {
    const viewer = await makeUser("chatviewer");
    const { page, context } = await pageAs(viewer);
    await page.goto(`/c/${channel.slug}`);
    await message(page, "earlier message 3").waitFor();
    assert.equal(await page.getByTestId("chat-name-input").count(), 0, "logged-in users need not choose a name");
    await page.getByTestId("chat-input").fill(userText);
    await page.getByTestId("chat-send").click();
    const mine = message(page, userText);
    await waitFor("the message's real event id", async () => /^\$/.test((await mine.getAttribute("data-event-id")) ?? ""));
    const sender = await mine.getAttribute("data-sender");
    assert.equal(sender, virtualUserId(viewer.id));
    assert.match(sender!, /^@_lh_u_/);
    assert.match(await mine.innerText(), new RegExp(viewer.displayName));

    // Someone in an ordinary Matrix client (matrix-js-sdk in Node), joined by the alias.
    const sdk = await import("matrix-js-sdk");
    const element = await registeredUser();
    const client = sdk.createClient({ baseUrl: HS_URL, accessToken: element.accessToken, userId: element.userId, logger: quietLogger });
    const seen: { sender: string; body: string }[] = [];
    client.on(sdk.RoomEvent.Timeline, (ev, room) => {
      if (room?.roomId === roomId && ev.getType() === "m.room.message") seen.push({ sender: ev.getSender()!, body: String(ev.getContent().body) });
    });
    await withUnrefLongTimers(async () => {
      try {
        assert.equal((await client.joinRoom(alias)).roomId, roomId);
        await client.startClient({ initialSyncLimit: 50 });
        await waitFor("the Matrix client to see both browser messages", async () => seen.some((s) => s.body === guestText) && seen.some((s) => s.body === userText && s.sender === virtualUserId(viewer.id)));
        const fromElement = `hello from a matrix client ${uniq()}`;
        await client.sendMessage(roomId, { msgtype: sdk.MsgType.Text, body: fromElement });
        const row = message(page, fromElement);
        await row.waitFor();
        assert.equal(await row.getAttribute("data-sender"), element.userId);
      } finally {
        client.stopClient();
      }
    });
    await screenshot(page, "chat-logged-in");
    await context.close();
  });

  it("renders hostile message bodies and formatted bodies as inert text", async () => {
    const { page, context } = await newPage();
    const dialogs: string[] = [];
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    const foreign: string[] = [];
    page.on("request", (r) => {
      const u = new URL(r.url());
      if (u.origin !== ORIGIN && u.origin !== new URL(HS_URL).origin) foreign.push(r.url());
    });
    await page.goto(`/c/${channel.slug}`);
    await message(page, userText).waitFor();

    const plain = `<script>window.__pwned='script'</script><img src=x onerror="window.__pwned='img';alert(1)"> plain-marker`;
    await say(poster, roomId, plain, {
      format: "org.matrix.custom.html",
      formatted_body: `<script>window.__pwned='fb-script'</script><img src="https://example.org/x.png" onerror="window.__pwned='fb-img';alert(2)">`,
    });
    await say(poster, roomId, "formatted-marker", {
      format: "org.matrix.custom.html",
      formatted_body:
        `<b>bold-marker</b> <img src=x onerror="alert(3)"><svg onload="alert(4)"></svg><iframe src="https://example.org/"></iframe>` +
        `<a href="javascript:alert(5)">js-link</a> <a href="https://example.org/page" onclick="alert(6)" style="color:red">ok-link</a>` +
        `<p onmouseover="alert(7)" class="x">para-marker</p><style>body{display:none}</style><mx-reply>quoted</mx-reply>`,
    });
    await say(poster, roomId, "see https://example.org/path?q=1. thanks");

    // The first message's formatted body has no text left after sanitising: its plain body shows, literally.
    const p = message(page, "plain-marker");
    await p.waitFor();
    assert.ok((await p.innerText()).includes(`<script>window.__pwned='script'</script><img src=x onerror="window.__pwned='img';alert(1)"> plain-marker`));

    const f = message(page, "bold-marker");
    await f.waitFor();
    assert.equal(await f.locator("b").innerText(), "bold-marker");
    assert.ok((await f.innerText()).includes("para-marker"));
    assert.ok(!(await f.innerText()).includes("quoted"), "the reply fallback is dropped");
    assert.equal(await f.locator("a").count(), 1, "the javascript: link is not a link");
    const ok = f.locator("a");
    assert.equal(await ok.getAttribute("href"), "https://example.org/page");
    assert.equal(await ok.getAttribute("rel"), "noopener noreferrer nofollow ugc");
    assert.equal(await ok.getAttribute("target"), "_blank");
    assert.equal(await ok.getAttribute("onclick"), null);
    assert.equal(await ok.getAttribute("style"), null);
    assert.equal(await f.locator("p").getAttribute("onmouseover"), null);

    const linked = message(page, "thanks").locator("a");
    assert.equal(await linked.getAttribute("href"), "https://example.org/path?q=1");
    assert.equal(await linked.innerText(), "https://example.org/path?q=1");

    assert.equal(await page.locator("[data-testid=chat-log] :is(script, img, svg, iframe, style, mx-reply)").count(), 0);
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned), undefined);
    assert.deepEqual(dialogs, []);
    assert.deepEqual(foreign, [], "nothing from message content was fetched");
    assert.ok(await page.locator("body").isVisible());
    await screenshot(page, "chat-hostile");
    await context.close();
  });

  it("cannot be buried by one huge message: it is cut with Show more, and a 60 KB word wraps", async () => {
    const huge = `${"w".repeat(28_000)} ${Array.from({ length: 2800 }, (_, i) => `line ${i}`).join("\n")}`;
    const marker = `after the huge one ${uniq()}`;
    const { page, context } = await newPage();
    await page.goto(`/c/${channel.slug}`);
    await page.getByTestId("chat").and(page.locator("[data-state=ready]")).waitFor();
    await say(poster, roomId, huge);
    await say(poster, roomId, marker);
    await message(page, marker).waitFor();
    const row = page.getByTestId("chat-message").filter({ hasText: "wwwwwwww" });
    const shown = async () => (await row.locator(".chat-text").innerText()).length;
    assert.ok((await shown()) <= 600, `cut to about 500 characters (${await shown()})`);
    const box = await row.evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth, height: Math.round(el.getBoundingClientRect().height), log: el.closest("[data-testid=chat-log]")!.scrollWidth - el.closest("[data-testid=chat-log]")!.clientWidth }));
    assert.ok(box.scroll <= box.client + 1 && box.log <= 1, `the long word wraps inside the row: ${JSON.stringify(box)}`);
    assert.ok(box.height < 600, `the cut message is not a wall: ${JSON.stringify(box)}`);
    const more = row.getByTestId("chat-show-more");
    assert.equal(await more.getAttribute("aria-expanded"), "false");
    await more.click();
    assert.equal(await more.getAttribute("aria-expanded"), "true");
    assert.ok((await shown()) > 600, "Show more shows more");
    assert.ok((await row.evaluate((el) => el.scrollWidth <= el.clientWidth + 1)), "still no sideways overflow");
    await screenshot(page, "chat-huge-message");
    await more.click();
    assert.ok((await shown()) <= 600);
    await context.close();
  });

  it("keeps the reader's place: new messages while scrolled up show a button, Load earlier keeps the position", async () => {
    // Enough history that the log scrolls and the first screenful is not all of it.
    for (let i = 1; i <= 110; i++) await say(poster, roomId, `filler ${i}`);
    const { page, context } = await newPage();
    await page.goto(`/c/${channel.slug}`);
    await message(page, "filler 110").waitFor();
    let g = await logGeometry(page);
    assert.ok(g.height > g.client + 200, "the log overflows");
    assert.ok(g.height - g.top - g.client < 5, "starts at the bottom");

    // At the bottom, a new message keeps the view at the bottom.
    await say(poster, roomId, "arrives at the bottom");
    await message(page, "arrives at the bottom").waitFor();
    await waitFor("the log to follow", async () => ((g = await logGeometry(page)), g.height - g.top - g.client < 5));
    assert.equal(await page.getByTestId("chat-new-messages").count(), 0);

    // Scrolled up, new messages do not move the view.
    await page.getByTestId("chat-log").evaluate((el) => {
      el.scrollTop = el.scrollTop - 300;
    });
    await page.waitForTimeout(200);
    const before = (await logGeometry(page)).top;
    for (let i = 1; i <= 5; i++) await say(poster, roomId, `while away ${i}`);
    await message(page, "while away 5").waitFor({ state: "attached" });
    await page.getByTestId("chat-new-messages").getByText("5 new messages").waitFor();
    await page.waitForTimeout(200);
    assert.equal((await logGeometry(page)).top, before, "scrollTop unchanged");
    await screenshot(page, "chat-new-messages");
    await page.getByTestId("chat-new-messages").click();
    await waitFor("the log to be at the bottom", async () => ((g = await logGeometry(page)), g.height - g.top - g.client < 5));
    assert.equal(await page.getByTestId("chat-new-messages").count(), 0);

    // Load earlier at the top: what the reader was looking at stays where it was.
    await page.getByTestId("chat-log").evaluate((el) => {
      el.scrollTop = 0;
    });
    const loadEarlier = page.getByTestId("chat-load-earlier");
    await loadEarlier.waitFor();
    const firstId = await page.getByTestId("chat-message").first().getAttribute("data-event-id");
    const anchor = page.locator(`[data-event-id="${firstId}"]`);
    const topOf = () => anchor.evaluate((el) => el.getBoundingClientRect().top);
    const beforeTop = await topOf();
    const countBefore = await page.getByTestId("chat-message").count();
    await loadEarlier.click();
    await waitFor("earlier messages", async () => (await page.getByTestId("chat-message").count()) > countBefore);
    await page.waitForTimeout(100);
    assert.ok(Math.abs((await topOf()) - beforeTop) <= 2, `the anchor message stayed put (${beforeTop} → ${await topOf()})`);
    assert.ok((await logGeometry(page)).top > 0, "earlier messages are above the view");
    await context.close();
  });

  it("serves a frameable chat-only embed while other pages refuse framing", async () => {
    const embed = await request("GET", `/c/${channel.slug}/chat`);
    assert.equal(embed.status, 200);
    const csp = String(embed.headers["content-security-policy"]);
    assert.match(csp, /frame-ancestors \*/);
    assert.equal(embed.headers["x-frame-options"], undefined);
    assert.ok(csp.includes(`connect-src 'self' ${new URL(HS_URL).origin}`), csp);
    const pageRes = await request("GET", `/c/${channel.slug}`);
    assert.match(String(pageRes.headers["content-security-policy"]), /frame-ancestors 'none'/);
    assert.equal(pageRes.headers["x-frame-options"], "DENY");
    assert.ok(String(pageRes.headers["content-security-policy"]).includes(new URL(HS_URL).origin));

    // Another site frames it.
    const site = http.createServer((_req, res) => {
      res.writeHead(200, { "Content-Type": "text/html" });
      res.end(
        `<!doctype html><title>Some other site</title><body style="margin:0;background:#fff">` +
          `<iframe id="chat" src="${BASE_URL}/c/${channel.slug}/chat" style="width:360px;height:560px;border:0"></iframe>` +
          `<iframe id="page" src="${BASE_URL}/c/${channel.slug}" style="width:360px;height:200px"></iframe></body>`,
      );
    });
    await new Promise<void>((r) => site.listen(0, "127.0.0.1", r));
    after(() => site.close());
    const { page, context } = await newPage();
    await page.goto(`http://localhost:${(site.address() as AddressInfo).port}/`);
    const frame = page.frameLocator("#chat");
    await frame.getByTestId("chat-message").filter({ hasText: "earlier message 1" }).or(frame.getByTestId("chat-load-earlier")).first().waitFor();
    await frame.getByTestId("chat-name-input").waitFor();
    assert.equal(await frame.locator(".site-header").isVisible(), false, "no site chrome in the embed");
    // The channel page in a frame is blocked by the browser.
    const blocked = page.frames().find((f) => f.parentFrame() && f.url().includes(`/c/${channel.slug}`) && !f.url().endsWith("/chat"));
    const pageFrameTitle = await page.frameLocator("#page").getByTestId("channel-title").count();
    assert.equal(pageFrameTitle, 0, `the channel page did not render in a frame (${blocked?.url()})`);
    await screenshot(page, "chat-embed-framed");
    await context.close();
  });

  it("says when chat is not reachable, retries, and shows an empty room's invitation", async () => {
    const fresh = await makeChannel(owner, "Quiet show");
    await channelRoom(fresh.id);
    const { page, context } = await newPage({ mobile: true });
    const feed = `**/api/chat/${fresh.slug}/feed*`;
    await context.route(feed, (route) => route.abort("connectionrefused"));
    await page.goto(`/c/${fresh.slug}`);
    await page.getByTestId("chat-unavailable").getByText("Chat is not available right now").waitFor();
    await screenshot(page, "chat-unavailable-mobile");
    await context.unroute(feed);
    await page.getByTestId("chat-retry").click();
    await page.getByTestId("chat-empty").getByText("No messages yet — say hi!").waitFor();
    // Phones: the chat is under the player.
    const [player, chat] = await Promise.all([page.getByTestId("offline-slate").boundingBox(), page.getByTestId("chat").boundingBox()]);
    assert.ok(player && chat && chat.y >= player.y + player.height, "chat is stacked under the player");
    await page.getByTestId("chat").scrollIntoViewIfNeeded();
    await screenshot(page, "chat-empty-mobile");
    await context.close();
  });
});
