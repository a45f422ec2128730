// Account basics: change password (other sessions end), the sessions list and
// "log out everywhere else", and deleting an account with everything it owns.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { changePassword, deleteAccount, logIn } from "../../lib/accounts.ts";
import { db } from "../../lib/db.ts";
import { ValidationError } from "../../lib/errors.ts";
import { logOutOtherSessions } from "../../lib/logout.ts";
import { createSession, listSessions, userForSession } from "../../lib/sessions.ts";
import { closeConnectionsAfter } from "../support/env.ts";
import { makeChannel, makeUser, uniq } from "../support/fixtures.ts";
import { request } from "../support/http.ts";
import { waitFor } from "../support/live.ts";

closeConnectionsAfter();

const fieldsOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    if (e instanceof ValidationError) return e.fields;
    throw e;
  }
  throw new Error("expected a refusal");
};

describe("account", () => {
  it("changing the password needs the current one, ends every other session and keeps this one", async () => {
    const user = await makeUser("pw");
    const other = await createSession(user.id);
    assert.match((await fieldsOf(changePassword(user.id, { currentPassword: "nope", newPassword: "a long new password" }, user.token))).currentPassword, /not your current password/);
    assert.match((await fieldsOf(changePassword(user.id, { currentPassword: user.password, newPassword: "short" }, user.token))).newPassword, /at least 10/);
    const { endedSessions } = await changePassword(user.id, { currentPassword: user.password, newPassword: "a long new password" }, user.token);
    assert.equal(endedSessions, 1);
    assert.equal(await userForSession(other.token), null, "the other session still works");
    assert.equal((await userForSession(user.token))?.id, user.id, "this session ended");
    assert.equal((await logIn({ email: user.email, password: "a long new password" }, `ip-${uniq()}`)).id, user.id);
    await fieldsOf(logIn({ email: user.email, password: user.password }, `ip-${uniq()}`));
  });

  it("lists sessions, marks this one, and logs out everywhere else", async () => {
    const user = await makeUser("sess");
    await createSession(user.id);
    await createSession(user.id);
    const listed = await listSessions(user.id, user.token);
    assert.equal(listed.length, 3);
    assert.equal(listed.filter((s) => s.current).length, 1);
    assert.ok(listed.every((s) => s.handle.length === 12));
    assert.equal(await logOutOtherSessions(user.id, user.token), 2);
    assert.deepEqual((await listSessions(user.id, user.token)).map((s) => s.current), [true]);
    const page = await request("GET", "/dashboard/account", { headers: { cookie: user.cookie } });
    assert.equal(page.status, 200);
    assert.match(page.text, /this browser/);
    assert.equal((await request("GET", "/dashboard/account")).status, 307, "anonymous users are sent to log in");
  });

  it("deleting an account needs its password and takes its channels, sessions and media with it", async () => {
    const user = await makeUser("gone");
    const channel = await makeChannel(user);
    const session = await db().liveSession.create({ data: { channelId: channel.id, status: "ended", ladder: "360p30@800k", segmentSeconds: 1, endedAt: new Date() } });
    const dir = path.join(process.env.MEDIA_DIR!, "live", session.id);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "vod.m3u8"), "#EXTM3U\n");
    writeFileSync(path.join(dir, "replay.mp4"), Buffer.alloc(64));
    await db().replay.create({ data: { sessionId: session.id, channelId: channel.id, title: "R", durationSeconds: 1 } });
    assert.equal((await request("GET", `/hls/live/${session.id}/replay.mp4`)).status, 200);

    assert.match((await fieldsOf(deleteAccount(user.id, "wrong"))).password, /not your password/);
    assert.equal(await db().user.count({ where: { id: user.id } }), 1);
    await deleteAccount(user.id, user.password);
    assert.equal(await db().user.count({ where: { id: user.id } }), 0);
    assert.equal(await db().channel.count({ where: { id: channel.id } }), 0);
    assert.equal(await userForSession(user.token), null);
    await waitFor("the media to be gone from the web", async () => (await request("GET", `/hls/live/${session.id}/replay.mp4`)).status === 404, 30_000);
    await waitFor("the worker to remove the files", async () => !existsSync(dir), 60_000);
  });
});
