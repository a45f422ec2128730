// Moderation enforced on chatters who use a plain Matrix client (no widget):
// everything goes through the homeserver, the appservice and the web API.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { before, describe, it } from "node:test";
import { db } from "../../lib/db.ts";
import { roomAlias, virtualUserId } from "../../lib/matrix/ids.ts";
import { HIDDEN_NAME } from "../../lib/chat/feed.ts";
import { BASE_URL, closeConnectionsAfter } from "../support/env.ts";
import { FeedReader } from "../support/feedReader.ts";
import { makeChannel, makeUser, type TestUser } from "../support/fixtures.ts";
import { api } from "../support/http.ts";
import { rolePids } from "../support/live.ts";
import { MatrixHttpError, channelRoom, eventById, isRedacted, join, membership, mx, recentEvents, registeredUser, say, state, waitFor, type MatrixUser } from "../support/matrix.ts";
import { APPSERVICE } from "../../scripts/roles.ts";

closeConnectionsAfter();

let owner: TestUser;
let channelId: string;
let slug: string;
let roomId: string;
let watcher: MatrixUser;

const moderate = (who: { cookie: string }, command: Record<string, unknown>) => api("POST", `/api/channels/${channelId}/chat/moderate`, { cookie: who.cookie, body: command });
const settings = (body: Record<string, unknown>) => api("PUT", `/api/channels/${channelId}/chat`, { cookie: owner.cookie, body });

async function chatter(): Promise<MatrixUser> {
  const u = await registeredUser();
  await join(u, roomAlias(slug));
  return u;
}

const redacted = (eventId: string) => waitFor(`${eventId} to be redacted`, async () => isRedacted(await eventById(watcher, roomId, eventId)), 10_000);

before(async () => {
  owner = await makeUser("modowner");
  const channel = await makeChannel(owner, "Moderated");
  channelId = channel.id;
  slug = channel.slug;
  roomId = await channelRoom(channelId);
  watcher = await chatter();
});

describe("moderation of Matrix-client chatters", () => {
  it("deletes (redacts) a message", async () => {
    const u = await chatter();
    const eventId = await say(u, roomId, "delete me");
    const res = await moderate(owner, { action: "redact", eventId });
    assert.equal(res.status, 200, res.text);
    await redacted(eventId);
  });

  it("refuses to delete a message that does not exist: 404, not a silent 200", async () => {
    const res = await moderate(owner, { action: "redact", eventId: "$doesnotexist_livehouse_test" });
    assert.equal(res.status, 404, res.text);
    assert.match(res.text, /no such message/i);
  });

  it("kicks: the user is out but may come back", async () => {
    const u = await chatter();
    assert.equal((await moderate(owner, { action: "kick", userId: u.userId, reason: "cool off" })).status, 200);
    assert.equal(await membership(watcher, roomId, u.userId), "leave");
    await assert.rejects(say(u, roomId, "still here?"), (e: MatrixHttpError) => e.status === 403);
    await join(u, roomId);
  });

  it("bans and unbans; the ban is listed for the owner", async () => {
    const u = await chatter();
    assert.equal((await moderate(owner, { action: "ban", userId: u.userId, reason: "spam" })).status, 200);
    assert.equal(await membership(watcher, roomId, u.userId), "ban");
    await assert.rejects(join(u, roomId), (e: MatrixHttpError) => e.status === 403);
    const listed = (await api("GET", `/api/channels/${channelId}/chat`, { cookie: owner.cookie })).json();
    assert.ok(listed.bans.some((b: { matrixUserId: string; until: string | null }) => b.matrixUserId === u.userId && b.until === null));
    assert.equal((await moderate(owner, { action: "unban", userId: u.userId })).status, 200);
    await join(u, roomId);
  });

  it("times out: a ban that lifts itself, also across an appservice restart", async () => {
    const u = await chatter();
    const started = Date.now();
    assert.equal((await moderate(owner, { action: "timeout", userId: u.userId, seconds: 4 })).status, 200);
    assert.equal(await membership(watcher, roomId, u.userId), "ban");
    // Kill the appservice while the timeout runs; the restarted one lifts it.
    const [pid] = rolePids(APPSERVICE);
    process.kill(pid, "SIGKILL");
    await assert.rejects(join(u, roomId), (e: MatrixHttpError) => e.status === 403);
    await waitFor("the timeout to be lifted", async () => (await membership(watcher, roomId, u.userId)) === "leave", 20_000, 250);
    const lifted = (Date.now() - started) / 1000;
    assert.ok(lifted >= 3.9, `lifted after ${lifted} s, not before the 4 s were over`);
    await join(u, roomId);
    await say(u, roomId, "back again");
    assert.equal(await db().chatBan.count({ where: { channelId, matrixUserId: u.userId } }), 0);
  });

  it("slow mode removes messages sent too soon, for any client", async () => {
    assert.equal((await settings({ slowModeSeconds: 3, wordFilter: "" })).status, 200);
    await new Promise((r) => setTimeout(r, 2100)); // the appservice caches settings for 2 s
    const u = await chatter();
    const first = await say(u, roomId, "first");
    const second = await say(u, roomId, "second, too soon");
    await redacted(second);
    assert.equal(isRedacted(await eventById(watcher, roomId, first)), false, "the first message stays");
    await new Promise((r) => setTimeout(r, 3100));
    const third = await say(u, roomId, "third, after the wait");
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(isRedacted(await eventById(watcher, roomId, third)), false);
    // Moderators are exempt.
    assert.equal((await moderate(owner, { action: "moderator", userId: u.userId, grant: true })).status, 200);
    const pl = await state<{ users: Record<string, number> }>(watcher, roomId, "m.room.power_levels");
    assert.equal(pl.users[u.userId], 50);
    await new Promise((r) => setTimeout(r, 2100));
    const a = await say(u, roomId, "mod one");
    const b = await say(u, roomId, "mod two");
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(isRedacted(await eventById(watcher, roomId, a)) || isRedacted(await eventById(watcher, roomId, b)), false);
    assert.equal((await moderate(owner, { action: "moderator", userId: u.userId, grant: false })).status, 200);
    const after = await state<{ users: Record<string, number> }>(watcher, roomId, "m.room.power_levels");
    assert.equal(after.users[u.userId], undefined, "revoked moderator loses power 50");
    assert.equal((await settings({ slowModeSeconds: 0, wordFilter: "" })).status, 200);
  });

  it("the word filter removes matching messages, edits included", async () => {
    assert.equal((await settings({ slowModeSeconds: 0, wordFilter: "forbidden\nsecret phrase" })).status, 200);
    await new Promise((r) => setTimeout(r, 2100));
    const u = await chatter();
    const bad = await say(u, roomId, "this is FORBIDDEN talk");
    const phrase = await say(u, roomId, "the Secret   Phrase is here");
    const fine = await say(u, roomId, "forbiddenness is a fine word");
    const original = await say(u, roomId, "innocent");
    const edit = await say(u, roomId, "* forbidden now", { "m.new_content": { msgtype: "m.text", body: "forbidden now" }, "m.relates_to": { rel_type: "m.replace", event_id: original } });
    await redacted(bad);
    await redacted(phrase);
    await redacted(edit);
    assert.equal(isRedacted(await eventById(watcher, roomId, fine)), false);
    assert.equal((await settings({ slowModeSeconds: 0, wordFilter: "" })).status, 200);
  });

  it("the word filter cannot be dodged: markup, entities, bidi overrides, invisible and look-alike letters, reactions, polls, custom events, display names; the feed never carries them", async () => {
    assert.equal((await settings({ slowModeSeconds: 0, wordFilter: "zorgle" })).status, 200);
    await new Promise((r) => setTimeout(r, 2100));
    const reader = new FeedReader(`${BASE_URL}/api/chat/${slug}/feed`);
    await reader.start();
    try {
      const u = await chatter();
      const html = (formatted: string) => ({ format: "org.matrix.custom.html", formatted_body: formatted });
      const send = (type: string, content: Record<string, unknown>) =>
        mx<{ event_id: string }>(u, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/${type}/d${randomBytes(6).toString("hex")}`, content).then((r) => r.event_id);
      const fine = await say(u, roomId, "zorgles are fine, and so is a classic");
      const fineHtml = await say(u, roomId, "zorgles", html("<b>zorgle</b>s"));
      const dodges = {
        "a heart before the word": await say(u, roomId, "love", html("<3 zorgle>")),
        "a numeric entity without semicolon": await say(u, roomId, "z", html("&#122orgle")),
        "a named entity": await say(u, roomId, "z", html("z&ouml;rgle")),
        "a right-to-left override": await say(u, roomId, "\u202Eelgroz\u202C"),
        "a zero-width space": await say(u, roomId, "zor\u200Bgle"),
        "a soft hyphen": await say(u, roomId, "zor\u00ADgle"),
        "fullwidth letters": await say(u, roomId, "ｚｏｒｇｌｅ"),
        "mathematical bold": await say(u, roomId, "𝐳𝐨𝐫𝐠𝐥𝐞"),
        "an edit": await say(u, roomId, "* fixed", { "m.new_content": { msgtype: "m.text", body: "ZÖRGLE" }, "m.relates_to": { rel_type: "m.replace", event_id: fine } }),
        "a reaction": await send("m.reaction", { "m.relates_to": { rel_type: "m.annotation", event_id: fine, key: "zorgle" } }),
        "a poll": await send("m.poll.start", { "m.poll": { kind: "m.disclosed", max_selections: 1, question: { "m.text": [{ body: "Who likes zorgle?" }] }, answers: [{ "m.id": "a", "m.text": [{ body: "me" }] }] } }),
        "a custom event": await send("com.example.shout", { text: "ZORGLE!" }),
      };
      for (const [what, eventId] of Object.entries(dodges)) await waitFor(`${what} to be redacted`, async () => isRedacted(await eventById(watcher, roomId, eventId)), 10_000);
      for (const eventId of [fine, fineHtml]) assert.equal(isRedacted(await eventById(watcher, roomId, eventId)), false, "ordinary words that contain the filtered one stay");

      // A display name that breaks the filter: hidden (the member event redacted), moderators told.
      await mx(u, "PUT", `/_matrix/client/v3/profile/${encodeURIComponent(u.userId)}/displayname`, { displayname: "Zorgle Fan" });
      await waitFor("the name to be hidden", async () => (await state<{ displayname?: string }>(watcher, roomId, "m.room.member", u.userId)).displayname === undefined, 10_000);
      await waitFor("a notice for the moderators", async () => (await recentEvents(watcher, roomId)).some((e) => e.content.msgtype === "m.notice" && String(e.content.body).includes(u.userId)), 10_000);
      const after = await say(u, roomId, "hello from behind a hidden name");

      await waitFor("the feed to carry the last message", async () => reader.messageIds().includes(after), 10_000);
      const carried = new Set(reader.live.flatMap((r) => (r.entry.t === "msg" || r.entry.t === "edit" ? [r.entry.id] : [])));
      for (const [what, eventId] of Object.entries(dodges)) assert.equal(carried.has(eventId), false, `the feed carried ${what}`);
      assert.ok(carried.has(fine) && carried.has(fineHtml));
      const last = reader.live.find((r) => r.entry.t === "msg" && r.entry.id === after)!.entry as { name: string };
      assert.equal(last.name, HIDDEN_NAME);
      assert.ok(!reader.live.some((r) => JSON.stringify(r.entry).includes("Zorgle Fan")), "the name never reached a viewer");
    } finally {
      reader.close();
      assert.equal((await settings({ slowModeSeconds: 0, wordFilter: "" })).status, 200);
    }
  });

  it("moderators act through the web API; other users, cross-site requests and bad input are refused", async () => {
    const mod = await makeUser("modhelper");
    assert.equal((await moderate(owner, { action: "moderator", userId: virtualUserId(mod.id), grant: true })).status, 200);
    const u = await chatter();
    const e = await say(u, roomId, "moderate me");
    assert.equal((await moderate(mod, { action: "redact", eventId: e })).status, 200);
    await redacted(e);
    // A moderator cannot appoint moderators, nor act on the owner.
    assert.equal((await moderate(mod, { action: "moderator", userId: u.userId, grant: true })).status, 422);
    assert.equal((await moderate(mod, { action: "ban", userId: virtualUserId(owner.id) })).status, 422);
    const stranger = await makeUser("stranger");
    assert.equal((await moderate(stranger, { action: "kick", userId: u.userId })).status, 404);
    assert.equal((await api("POST", `/api/channels/${channelId}/chat/moderate`, { cookie: owner.cookie, origin: "https://evil.example", body: { action: "kick", userId: u.userId } })).status, 403);
    assert.equal((await moderate(owner, { action: "ban", userId: "not a matrix id" })).status, 422);
    assert.equal((await moderate(owner, { action: "explode" })).status, 422);
    assert.equal((await settings({ slowModeSeconds: -1, wordFilter: "" })).status, 422);
    assert.equal((await api("PUT", `/api/channels/${channelId}/chat`, { cookie: stranger.cookie, body: { slowModeSeconds: 1, wordFilter: "" } })).status, 404);
    assert.equal(await membership(watcher, roomId, u.userId), "join", "nothing happened to the chatter");
  });
});
