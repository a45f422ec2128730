// Chat replay against the real appservice and Synapse: what a live session's
// chat keeps (what viewers saw, as they saw it: edits applied, redactions and
// the word filter's removals never), the paged API with each message's moment,
// and retention (a deleted replay, channel or stale session takes its chat).
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { before, describe, it } from "node:test";
import { archiveFeedEntries, pruneChatWithoutReplay } from "../../lib/chat/chatArchive.ts";
import { deleteChannel } from "../../lib/channels.ts";
import { db } from "../../lib/db.ts";
import { roomAlias } from "../../lib/matrix/ids.ts";
import { BASE_URL, closeConnectionsAfter } from "../support/env.ts";
import { FeedReader } from "../support/feedReader.ts";
import { makeChannel, makeUser, uniq, type TestUser } from "../support/fixtures.ts";
import { api, request } from "../support/http.ts";
import { channelRoom, eventById, join, mx, registeredUser, say, waitFor, type MatrixUser } from "../support/matrix.ts";

closeConnectionsAfter();

let owner: TestUser;
let channel: Awaited<ReturnType<typeof makeChannel>>;
let roomId: string;
let chatter: MatrixUser;

const settings = (body: Record<string, unknown>) => api("PUT", `/api/channels/${channel.id}/chat`, { cookie: owner.cookie, body });
const txn = () => `t${Date.now()}${uniq()}`;

async function redact(u: MatrixUser, eventId: string): Promise<void> {
  await mx(u, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/redact/${encodeURIComponent(eventId)}/${txn()}`, { reason: "oops" });
}

async function startSession(channelId: string) {
  return db().liveSession.create({ data: { channelId, status: "live", ladder: "360p30@800k", segmentSeconds: 2 } });
}

/** The session's segment list as the workers write it (master.json, index.json), so the API maps times as for a real replay. */
function writeSegments(sessionId: string, runs: { from: number; seconds: number }[]) {
  const dir = path.join(process.env.MEDIA_DIR!, "live", sessionId);
  mkdirSync(path.join(dir, "360p30"), { recursive: true });
  writeFileSync(path.join(dir, "master.json"), JSON.stringify({ renditions: [{ name: "360p30" }] }));
  const segments = runs.flatMap((r, part) =>
    Array.from({ length: Math.round(r.seconds / 2) }, (_, i) => ({ uri: `p${part}e1-${String(i).padStart(6, "0")}.ts`, duration: 2, programDateTime: r.from + i * 2000, part, discontinuity: i === 0 && part > 0 })),
  );
  writeFileSync(path.join(dir, "360p30", "index.json"), JSON.stringify({ version: 1, targetDuration: 2, firstSequence: 0, segments, ended: true }));
}

const stored = (sessionId: string) => db().chatReplayMessage.findMany({ where: { sessionId }, orderBy: [{ ts: "asc" }, { seq: "asc" }] });

before(async () => {
  owner = await makeUser("replaychat");
  channel = await makeChannel(owner, "Chat replay");
  roomId = await channelRoom(channel.id);
  chatter = await registeredUser();
  await mx(chatter, "PUT", `/_matrix/client/v3/profile/${encodeURIComponent(chatter.userId)}/displayname`, { displayname: "Replay Rita" });
  await join(chatter, roomAlias(channel.slug));
});

describe("chat replay", () => {
  it("keeps a live session's chat as viewers saw it: edits applied, redactions and filtered messages never; nothing outside a session", async () => {
    assert.equal((await settings({ slowModeSeconds: 0, wordFilter: "zorgle" })).status, 200);
    await new Promise((r) => setTimeout(r, 2100));
    // The feed carries a message once the appservice has decided whether to keep it.
    const reader = new FeedReader(`${BASE_URL}/api/chat/${channel.slug}/feed`);
    await reader.start();
    try {
      const inFeed = (eventId: string) => waitFor(`${eventId} in the feed`, async () => reader.live.some((r) => r.entry.t === "msg" && r.entry.id === eventId), 20_000);
      const before = await say(chatter, roomId, `before the stream ${uniq()}`);
      await inFeed(before);
      const session = await startSession(channel.id);
      const first = await say(chatter, roomId, "first!");
      const typo = await say(chatter, roomId, "helo");
      await say(chatter, roomId, "* hello", { "m.new_content": { msgtype: "m.text", body: "hello" }, "m.relates_to": { rel_type: "m.replace", event_id: typo } });
      const kept = await say(chatter, roomId, "innocent");
      // An edit that breaks the filter is removed, so the message keeps its text.
      await say(chatter, roomId, "* zorgle now", { "m.new_content": { msgtype: "m.text", body: "zorgle now" }, "m.relates_to": { rel_type: "m.replace", event_id: kept } });
      const filtered = await say(chatter, roomId, "ZORGLE everyone");
      const gone = await say(chatter, roomId, "regrettable");
      await redact(chatter, gone);
      const html = await say(chatter, roomId, "bold move", { format: "org.matrix.custom.html", formatted_body: "<b>bold</b> move" });
      const last = await say(chatter, roomId, "last words");

      const rows = await waitFor("the session's chat to be stored", async () => {
        const r = await stored(session.id);
        return r.some((m) => m.eventId === last) && !r.some((m) => m.eventId === gone) ? r : null;
      }, 20_000);
      assert.deepEqual(rows.map((r) => r.eventId), [first, typo, kept, html, last], "in order, without the redacted or filtered ones");
      assert.ok(!rows.some((r) => r.eventId === before || r.eventId === filtered));
      const byId = new Map(rows.map((r) => [r.eventId, r]));
      assert.equal(byId.get(typo)!.body, "hello");
      assert.equal(byId.get(typo)!.edited, true);
      assert.equal(byId.get(kept)!.body, "innocent");
      assert.equal(byId.get(kept)!.edited, false);
      assert.equal(byId.get(html)!.formattedBody, "<b>bold</b> move");
      assert.equal(byId.get(first)!.displayName, "Replay Rita");
      assert.equal(byId.get(first)!.sender, chatter.userId);
      const served = await eventById(chatter, roomId, first);
      assert.equal(byId.get(first)!.ts.getTime(), (served as unknown as { origin_server_ts: number }).origin_server_ts, "the homeserver's timestamp");
      assert.ok(!rows.some((r) => `${r.body} ${r.formattedBody}`.toLowerCase().includes("zorgle")));

      // After the session: not stored; a redaction afterwards still removes a stored message.
      await db().liveSession.update({ where: { id: session.id }, data: { status: "ended", endedAt: new Date() } });
      const afterwards = await say(chatter, roomId, `after the stream ${uniq()}`);
      await inFeed(afterwards);
      await redact(chatter, first);
      await waitFor("the late redaction", async () => !(await stored(session.id)).some((m) => m.eventId === first), 20_000);
      assert.equal(await db().chatReplayMessage.count({ where: { eventId: afterwards } }), 0);

      // A transaction the homeserver delivers late (the appservice was down) lands by its messages' timestamps.
      const ended = await db().liveSession.findUniqueOrThrow({ where: { id: session.id } });
      const late = (id: string, ts: number) => ({ t: "msg" as const, id, sender: chatter.userId, name: "Replay Rita", ts, content: { msgtype: "m.text", body: "late" } });
      const during = `$late-during-${uniq()}`;
      const outside = `$late-after-${uniq()}`;
      await archiveFeedEntries(channel.id, [late(during, ended.endedAt!.getTime() - 1), late(outside, ended.endedAt!.getTime() + 1)]);
      assert.equal((await db().chatReplayMessage.findUnique({ where: { eventId: during } }))?.sessionId, session.id);
      assert.equal(await db().chatReplayMessage.count({ where: { eventId: outside } }), 0);
    } finally {
      reader.close();
      await settings({ slowModeSeconds: 0, wordFilter: "" });
    }
  });

  it("serves a replay's chat a page at a time, each message at its moment of the replay (gap messages at the marker)", async () => {
    const session = await db().liveSession.create({ data: { channelId: channel.id, status: "ended", ladder: "360p30@800k", segmentSeconds: 2, endedAt: new Date() } });
    // Part 0: 600 s from T0; away 60 s; part 1: 600 s. A busy chat: a message every 0.5 s, also while away.
    const T0 = Date.now() - 3_600_000;
    writeSegments(session.id, [{ from: T0, seconds: 600 }, { from: T0 + 660_000, seconds: 600 }]);
    const rows = Array.from({ length: 2530 }, (_, i) => ({
      eventId: `$synthetic-${session.id}-${i}`,
      sessionId: session.id,
      sender: "@someone:test",
      displayName: "Someone",
      ts: new Date(T0 + i * 500),
      msgtype: "m.text",
      body: `message ${i}`,
    }));
    await db().chatReplayMessage.createMany({ data: rows });
    const replay = await db().replay.create({ data: { sessionId: session.id, channelId: channel.id, title: "Busy", durationSeconds: 1200, markers: [{ at: 600, gapSeconds: 60, label: "connection lost for 60 s" }] } });
    const get = async (q: string) => {
      const res = await request("GET", `/api/replays/${replay.id}/chat?${q}`);
      assert.equal(res.status, 200, `${q}: ${res.text}`);
      return res.json() as { messages: { id: string; at: number; ts: number; name: string; content: { body: string } }[]; fromStart: boolean; next: string | null };
    };

    const start = await get("at=0");
    assert.equal(start.fromStart, true);
    assert.equal(start.messages[0].at, 0);
    assert.equal(start.messages.length, 1 + 500, "the message at 0, then a page");
    assert.ok(start.next);

    // Follow the cursor to the end: every message once, in order, moments never going back.
    const all = [...start.messages];
    for (let next: string | null = start.next; next; ) {
      const page = await get(`after=${encodeURIComponent(next)}`);
      all.push(...page.messages);
      next = page.next;
    }
    assert.equal(all.length, rows.length);
    assert.deepEqual(all.map((m) => m.content.body), rows.map((r) => r.body));
    for (let i = 1; i < all.length; i++) assert.ok(all[i].at >= all[i - 1].at);
    const at = (i: number) => all[i].at;
    assert.equal(at(10), 5);
    assert.equal(at(1199), 599.5);
    // Sent while the streamer was away (600–660 s after T0): at the marker.
    for (const i of [1200, 1250, 1319]) assert.equal(at(i), 600, `message ${i}`);
    assert.equal(at(1320), 600, "the first instant of the second part");
    assert.equal(at(1321), 600.5);
    assert.equal(at(2519), 1199.5);
    for (const i of [2520, 2529]) assert.equal(at(i), 1200, "after the last segment: the end");

    // Landing in the middle: the last messages shown by then, and the next ones.
    const middle = await get("at=700");
    assert.equal(middle.fromStart, false);
    const shown = middle.messages.filter((m) => m.at <= 700);
    assert.equal(shown.length, 100);
    assert.equal(shown.at(-1)!.content.body, "message 1520");
    assert.equal(middle.messages[100].content.body, "message 1521");
    assert.equal(middle.messages.length, 600);
    const end = await get("at=1200");
    assert.equal(end.next, null);
    assert.equal(end.messages.at(-1)!.content.body, "message 2529");

    assert.equal((await request("GET", `/api/replays/${replay.id}/chat?at=-1`)).status, 400);
    assert.equal((await request("GET", `/api/replays/${replay.id}/chat?at=abc`)).status, 400);
    assert.equal((await request("GET", `/api/replays/${replay.id}/chat?after=x`)).status, 400);
    assert.equal((await request("GET", `/api/replays/00000000-0000-4000-8000-000000000000/chat`)).status, 404);
    assert.equal((await request("GET", `/api/replays/not-a-uuid/chat`)).status, 404);
  });

  it("retention follows the replay: deleting it, its channel, or ending without one deletes the chat", async () => {
    const owner2 = await makeUser("retention");
    const ch = await makeChannel(owner2, "Retention");
    const message = (sessionId: string, n: number) => ({ eventId: `$ret-${sessionId}-${n}`, sessionId, sender: "@a:test", displayName: "A", ts: new Date(), msgtype: "m.text", body: "hi" });
    const withReplay = async () => {
      const s = await db().liveSession.create({ data: { channelId: ch.id, status: "ended", ladder: "360p30@800k", segmentSeconds: 2, endedAt: new Date() } });
      await db().chatReplayMessage.createMany({ data: [message(s.id, 1), message(s.id, 2)] });
      const r = await db().replay.create({ data: { sessionId: s.id, channelId: ch.id, title: "R", durationSeconds: 10 } });
      return { s, r };
    };
    const a = await withReplay();
    const b = await withReplay();
    assert.equal((await api("DELETE", `/api/replays/${a.r.id}`, { cookie: owner2.cookie })).status, 204);
    assert.equal(await db().chatReplayMessage.count({ where: { sessionId: a.s.id } }), 0, "deleting the replay deleted its chat");
    assert.equal(await db().liveSession.count({ where: { id: a.s.id } }), 1, "the session row stays");
    assert.equal(await db().chatReplayMessage.count({ where: { sessionId: b.s.id } }), 2, "other replays keep theirs");

    // A session that ended two days ago without a replay: pruned; a recent one and one with a replay stay.
    const old = await db().liveSession.create({ data: { channelId: ch.id, status: "ended", ladder: "360p30@800k", segmentSeconds: 2, endedAt: new Date(Date.now() - 2 * 86_400_000) } });
    const recent = await db().liveSession.create({ data: { channelId: ch.id, status: "ended", ladder: "360p30@800k", segmentSeconds: 2, endedAt: new Date() } });
    await db().chatReplayMessage.createMany({ data: [message(old.id, 1), message(recent.id, 1)] });
    assert.ok((await pruneChatWithoutReplay()) >= 1);
    assert.equal(await db().chatReplayMessage.count({ where: { sessionId: old.id } }), 0);
    assert.equal(await db().chatReplayMessage.count({ where: { sessionId: recent.id } }), 1);
    assert.equal(await db().chatReplayMessage.count({ where: { sessionId: b.s.id } }), 2);

    await deleteChannel(owner2.id, ch.id);
    assert.equal(await db().chatReplayMessage.count({ where: { sessionId: { in: [b.s.id, recent.id] } } }), 0, "deleting the channel deleted its chat");
  });
});
