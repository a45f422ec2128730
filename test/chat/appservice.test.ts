// The appservice against a real Synapse: rooms provisioned with channels, the
// hs_token check, transaction de-duplication across a restart, and what
// guests may not do.
import assert from "node:assert/strict";
import { describe, it, before } from "node:test";
import { updateChannel } from "../../lib/channels.ts";
import { db } from "../../lib/db.ts";
import { endChatDevices } from "../../lib/chat/appserviceClient.ts";
import { logOutEverywhere, logOutSession } from "../../lib/logout.ts";
import { chatDeviceId, createSession } from "../../lib/sessions.ts";
import { botUserId, roomAlias, virtualUserId } from "../../lib/matrix/ids.ts";
import { closeConnectionsAfter } from "../support/env.ts";
import { makeChannel, makeUser, uniq, type TestUser } from "../support/fixtures.ts";
import { readLogs, rolePids } from "../support/live.ts";
import { APPSERVICE_URL, HS_URL, MatrixHttpError, channelRoom, guestUser, join, mx, registeredUser, registration, state, waitFor } from "../support/matrix.ts";
import { APPSERVICE } from "../../scripts/roles.ts";

closeConnectionsAfter();

describe("channel rooms", () => {
  let owner: TestUser;
  let channel: Awaited<ReturnType<typeof makeChannel>>;
  let roomId: string;

  before(async () => {
    owner = await makeUser("roomowner");
    channel = await makeChannel(owner, "Room <b>test</b>");
    roomId = await channelRoom(channel.id);
  });

  it("creates a public, guest-joinable, world-readable room with the channel's alias, name and power levels", async () => {
    const reader = await registeredUser();
    const resolved = await mx<{ room_id: string }>(reader, "GET", `/_matrix/client/v3/directory/room/${encodeURIComponent(roomAlias(channel.slug))}`);
    assert.equal(resolved.room_id, roomId);
    assert.ok(roomAlias(channel.slug).startsWith("#_lh_"), "alias lives in the appservice's prefixed namespace");
    assert.equal((await state<{ name: string }>(reader, roomId, "m.room.name")).name, "Room <b>test</b>");
    assert.equal((await state<{ guest_access: string }>(reader, roomId, "m.room.guest_access")).guest_access, "can_join");
    assert.equal((await state<{ history_visibility: string }>(reader, roomId, "m.room.history_visibility")).history_visibility, "world_readable");
    assert.equal((await state<{ join_rule: string }>(reader, roomId, "m.room.join_rules")).join_rule, "public");
    assert.equal((await state<{ alias: string }>(reader, roomId, "m.room.canonical_alias")).alias, roomAlias(channel.slug));
    const pl = await state<{ users: Record<string, number>; users_default: number; state_default: number }>(reader, roomId, "m.room.power_levels");
    assert.equal(pl.users[botUserId()], 100);
    assert.equal(pl.users[virtualUserId(owner.id)], 100);
    assert.equal(pl.users_default, 0);
    assert.equal(pl.state_default, 100);
  });

  it("keeps name, topic and alias in step with the channel", async () => {
    const newSlug = `renamed-${uniq()}`;
    await updateChannel(owner.id, channel.id, { slug: newSlug, title: "Renamed show", description: "All about tests", reconnectGraceMinutes: "5", ladder: "" });
    const reader = await registeredUser();
    await waitFor("the room name to follow the channel", async () => (await state<{ name: string }>(reader, roomId, "m.room.name")).name === "Renamed show");
    // The appservice sets the topic right after the name: a separate state event, so wait for it too.
    await waitFor("the room topic to follow the channel", async () => /All about tests/.test((await state<{ topic: string }>(reader, roomId, "m.room.topic")).topic));
    const resolved = await mx<{ room_id: string }>(reader, "GET", `/_matrix/client/v3/directory/room/${encodeURIComponent(roomAlias(newSlug))}`);
    assert.equal(resolved.room_id, roomId);
    await assert.rejects(mx(reader, "GET", `/_matrix/client/v3/directory/room/${encodeURIComponent(roomAlias(channel.slug))}`), (e: MatrixHttpError) => e.status === 404);
    channel = { ...channel, slug: newSlug };
  });

  it("lets a guest read and post but not change power levels or room state", async () => {
    const guest = await guestUser("Guesty");
    assert.equal(await join(guest, roomAlias(channel.slug)), roomId);
    await mx(guest, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/g${uniq()}`, { msgtype: "m.text", body: "hi from a guest" });
    const pl = await state<Record<string, unknown> & { users: Record<string, number> }>(guest, roomId, "m.room.power_levels");
    const attempts: [string, Record<string, unknown>][] = [
      ["m.room.power_levels", { ...pl, users: { ...pl.users, [guest.userId]: 100 } }],
      ["m.room.name", { name: "pwned" }],
      ["m.room.topic", { topic: "pwned" }],
      ["m.room.guest_access", { guest_access: "forbidden" }],
      ["m.room.join_rules", { join_rule: "invite" }],
    ];
    for (const [type, content] of attempts) {
      await assert.rejects(mx(guest, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/${type}/`, content), (e: MatrixHttpError) => e.status === 403, type);
    }
    // A registered (non-guest) chatter has power 0 and cannot either.
    const chatter = await registeredUser();
    await join(chatter, roomId);
    await assert.rejects(mx(chatter, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.power_levels/`, { ...pl, users: { ...pl.users, [chatter.userId]: 100 } }), (e: MatrixHttpError) => e.status === 403);
    assert.equal((await state<{ name: string }>(chatter, roomId, "m.room.name")).name, "Renamed show");
  });

  it("provisions the room on demand when someone asks for an alias of a channel without one", async () => {
    // A channel the appservice never heard about (its job lost while Redis was down): written
    // straight to the database, so only the homeserver's alias query can lead to the room.
    const c = await db().channel.create({ data: { ownerId: owner.id, slug: `ondemand-${uniq()}`, title: "On demand" } });
    const r = await registeredUser();
    const roomId2 = await join(r, roomAlias(c.slug));
    assert.match(roomId2, /^!/);
    assert.equal(await channelRoom(c.id), roomId2);
  });
});

describe("homeserver → appservice transactions", () => {
  const reg = registration();
  const put = (txnId: string, body: unknown, token: string | null = reg.hs_token) =>
    fetch(`${APPSERVICE_URL}/_matrix/app/v1/transactions/${encodeURIComponent(txnId)}`, {
      method: "PUT",
      headers: { "Content-Type": "application/json", ...(token !== null ? { Authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });

  it("answers a wrong or missing hs_token with 403 M_FORBIDDEN on every endpoint", async () => {
    const wrong = [null, "", reg.hs_token.slice(0, -1), `${reg.hs_token}x`, reg.as_token];
    for (const token of wrong) {
      const res = await put(`bad-${uniq()}`, { events: [] }, token);
      assert.equal(res.status, 403, `token ${JSON.stringify(token?.slice(0, 4))}`);
      assert.equal(((await res.json()) as { errcode: string }).errcode, "M_FORBIDDEN");
    }
    for (const path of [`/_matrix/app/v1/users/${encodeURIComponent("@_lh_x:" + reg.namespaces.users[0].regex)}`, `/_matrix/app/v1/rooms/${encodeURIComponent("#_lh_nothing:x")}`]) {
      const res = await fetch(`${APPSERVICE_URL}${path}`, { headers: { Authorization: "Bearer nope" } });
      assert.equal(res.status, 403);
      assert.equal(((await res.json()) as { errcode: string }).errcode, "M_FORBIDDEN");
    }
    // The query-string form is checked the same way.
    const q = await fetch(`${APPSERVICE_URL}/_matrix/app/v1/transactions/q-${uniq()}?access_token=nope`, { method: "PUT", headers: { "Content-Type": "application/json" }, body: "{}" });
    assert.equal(q.status, 403);
    // Internal calls need the internal secret, not the hs_token.
    const internal = await fetch(`${APPSERVICE_URL}/_livehouse/v1/session`, { method: "POST", headers: { "Content-Type": "application/json", Authorization: `Bearer ${reg.hs_token}` }, body: "{}" });
    assert.equal(internal.status, 403);
    // Garbage gets a Matrix error, not a crash.
    const garbage = await fetch(`${APPSERVICE_URL}/_matrix/app/v1/transactions/g-${uniq()}`, { method: "PUT", headers: { "Content-Type": "application/json", Authorization: `Bearer ${reg.hs_token}` }, body: "{not json" });
    assert.equal(garbage.status, 400);
    // Without the token, a body is never read: garbage (256 KB of it, past the JSON parser's
    // limit) is refused as forbidden, not as bad JSON. Bigger bodies can meet a closed socket
    // mid-write (EPIPE) on a busy machine, which says nothing about the appservice.
    for (const [path, token] of [[`/_matrix/app/v1/transactions/u-${uniq()}`, "nope"], ["/_livehouse/v1/session", reg.hs_token]] as const) {
      const unread = await fetch(`${APPSERVICE_URL}${path}`, { method: path.includes("transactions") ? "PUT" : "POST", headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` }, body: "{not json" + " ".repeat(256 << 10) });
      assert.equal(unread.status, 403, path);
    }
    assert.equal((await fetch(`${APPSERVICE_URL}/health`)).status, 200);
  });

  it("processes a repeated transaction once, also after the appservice restarts", async () => {
    const owner = await makeUser("txnowner");
    const channel = await makeChannel(owner, "Txn");
    const roomId = await channelRoom(channel.id);
    const count = async () => (await db().channel.findUniqueOrThrow({ where: { id: channel.id } })).chatMessageCount;
    const before = await count();
    const txnId = `dup-${uniq()}`;
    const body = {
      events: [0, 1, 2].map((i) => ({
        event_id: `$synthetic-${txnId}-${i}`,
        room_id: roomId,
        sender: `@someone:${reg.namespaces.users[0].regex.split(":").slice(1).join(":").replace(/\\/g, "")}`,
        type: "m.room.message",
        origin_server_ts: Date.now(),
        content: { msgtype: "m.text", body: `message ${i}` },
      })),
    };
    assert.equal((await put(txnId, body)).status, 200);
    assert.equal(await count(), before + 3);
    assert.equal((await put(txnId, body)).status, 200);
    assert.equal(await count(), before + 3, "the repeat was not processed again");

    const [pid] = rolePids(APPSERVICE);
    assert.ok(pid, "appservice process found");
    process.kill(pid, "SIGKILL");
    await waitFor("the appservice to come back", async () => {
      const again = rolePids(APPSERVICE);
      if (!again.length || again[0] === pid) return false;
      return (await fetch(`${APPSERVICE_URL}/health`).catch(() => null))?.ok;
    }, 30_000);
    assert.equal((await put(txnId, body)).status, 200);
    assert.equal(await count(), before + 3, "the repeat after a restart was not processed again");
    // A new transaction is processed.
    assert.equal((await put(`${txnId}-next`, { events: [body.events[0]] })).status, 200);
    assert.equal(await count(), before + 4);
  });
});

describe("secrets", () => {
  it("never writes the appservice's tokens to any role's or Synapse's log", () => {
    const reg = registration();
    const logs = readLogs();
    assert.ok(logs.includes("appservice"), "logs were read");
    assert.ok(!logs.includes(reg.hs_token), "hs_token in a log");
    assert.ok(!logs.includes(reg.as_token), "as_token in a log");
  });
});

describe("virtual users", () => {
  it("logs a Livehouse user in as their virtual Matrix user with their display name, and no password", async () => {
    const user = await makeUser("virtual");
    const channel = await makeChannel(user, "Virtual");
    await channelRoom(channel.id);
    const res = await fetch(`${process.env.LH_TEST_BASE_URL}/api/chat/${channel.slug}/session`, { method: "POST", headers: { cookie: user.cookie, origin: process.env.LH_TEST_BASE_URL! } });
    assert.equal(res.status, 200);
    const session = (await res.json()) as { userId: string; accessToken: string };
    assert.equal(session.userId, virtualUserId(user.id));
    const me = { userId: session.userId, accessToken: session.accessToken, baseUrl: HS_URL };
    assert.equal((await mx<{ user_id: string }>(me, "GET", "/_matrix/client/v3/account/whoami")).user_id, session.userId);
    const profile = await mx<{ displayname: string }>(me, "GET", `/_matrix/client/v3/profile/${encodeURIComponent(session.userId)}`);
    assert.equal(profile.displayname, user.displayName);
    // Nobody else can log in as that user: the namespace is exclusive to the appservice.
    await assert.rejects(
      mx({ baseUrl: HS_URL }, "POST", "/_matrix/client/v3/register", { username: session.userId.slice(1).split(":")[0], password: "x".repeat(20), auth: { type: "m.login.dummy" } }),
      (e: MatrixHttpError) => e.status >= 400,
    );
    // No session without a login, none cross-site.
    assert.equal((await fetch(`${process.env.LH_TEST_BASE_URL}/api/chat/${channel.slug}/session`, { method: "POST", headers: { origin: process.env.LH_TEST_BASE_URL! } })).status, 401);
    assert.equal((await fetch(`${process.env.LH_TEST_BASE_URL}/api/chat/${channel.slug}/session`, { method: "POST", headers: { cookie: user.cookie, origin: "https://evil.example" } })).status, 403);
  });

  it("one chat device per web session; logging out ends it, logging out everywhere ends them all", async () => {
    const user = await makeUser("devices");
    const channel = await makeChannel(user, "Devices");
    await channelRoom(channel.id);
    const chatLogin = async (cookie: string) => {
      const res = await fetch(`${process.env.LH_TEST_BASE_URL}/api/chat/${channel.slug}/session`, { method: "POST", headers: { cookie, origin: process.env.LH_TEST_BASE_URL! } });
      assert.equal(res.status, 200);
      return (await res.json()) as { userId: string; accessToken: string; deviceId: string };
    };
    const whoami = (s: { userId: string; accessToken: string }) =>
      mx<{ user_id: string; device_id: string }>({ ...s, baseUrl: HS_URL }, "GET", "/_matrix/client/v3/account/whoami");
    const first = await chatLogin(user.cookie);
    const again = await chatLogin(user.cookie);
    assert.equal(again.deviceId, first.deviceId, "a second chat login made another device");
    assert.equal((await whoami(again)).device_id, first.deviceId);
    // A second web session of the same user chats from a device of its own.
    const other = await createSession(user.id);
    const elsewhere = await chatLogin(`lh_session=${other.token}`);
    assert.notEqual(elsewhere.deviceId, first.deviceId);

    // Logging out of the site ends this session's chat token, not the other one's.
    await logOutSession(user.id, user.token);
    await assert.rejects(whoami(again), (e: MatrixHttpError) => e.status === 401, "the chat token survived logout");
    assert.equal((await whoami(elsewhere)).user_id, elsewhere.userId);
    // Logging out everywhere ends every chat token of the user.
    await logOutEverywhere(user.id);
    await assert.rejects(whoami(elsewhere), (e: MatrixHttpError) => e.status === 401, "a chat token survived logging out everywhere");
  });

  it("logging out a user who never chatted ends nothing, without an error", async () => {
    const user = await makeUser("nochat");
    assert.deepEqual(await endChatDevices(user.id, "all"), { ended: 0 });
    assert.deepEqual(await endChatDevices(user.id, [chatDeviceId(user.token)]), { ended: 0 });
  });
});
