// The instance admin: accounts, totals, and disabling an account (no login, no
// streaming, sessions and live streams ended). Nobody else sees any of it.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { logIn } from "../../lib/accounts.ts";
import { instanceTotals, listAccounts, setAccountDisabled } from "../../lib/admin.ts";
import { db } from "../../lib/db.ts";
import { NotFoundError, ValidationError } from "../../lib/errors.ts";
import { userForSession } from "../../lib/sessions.ts";
import { authenticateStreamKey } from "../../lib/streamKeys.ts";
import { closeConnectionsAfter } from "../support/env.ts";
import { makeAdmin, makeChannel, makeKey, makeUser, uniq } from "../support/fixtures.ts";
import { request } from "../support/http.ts";

closeConnectionsAfter();

describe("instance admin", () => {
  it("only the admin sees the admin page and its data", async () => {
    const admin = await makeAdmin();
    const someone = await makeUser("someone");
    assert.equal((await request("GET", "/admin", { headers: { cookie: someone.cookie } })).status, 404);
    await assert.rejects(listAccounts(someone.id), NotFoundError);
    await assert.rejects(setAccountDisabled(someone.id, admin.id, true), NotFoundError);
    const page = await request("GET", "/admin", { headers: { cookie: admin.cookie } });
    assert.equal(page.status, 200);
    assert.ok(page.text.includes(someone.email));
    const totals = await instanceTotals(admin.id);
    assert.ok(totals.users >= 2 && totals.channels >= 0);
    await assert.rejects(setAccountDisabled(admin.id, admin.id, true), ValidationError);
  });

  it("a disabled account cannot log in or stream; its sessions and live streams end; enabling gives it back", async () => {
    const admin = await makeAdmin();
    const creator = await makeUser("creator");
    const channel = await makeChannel(creator);
    const key = await makeKey(creator, channel.id);
    const live = await db().liveSession.create({ data: { channelId: channel.id, status: "live", ladder: "360p30@800k", segmentSeconds: 1 } });
    await setAccountDisabled(admin.id, creator.id, true);
    assert.equal(await userForSession(creator.token), null, "the session survived");
    await assert.rejects(logIn({ email: creator.email, password: creator.password }, `ip-${uniq()}`), (e: unknown) => e instanceof ValidationError && /disabled/.test(e.fields[""]));
    assert.equal(await authenticateStreamKey(key.key), null, "the stream key still publishes");
    const ended = await db().liveSession.findUniqueOrThrow({ where: { id: live.id } });
    assert.equal(ended.status, "ended");
    assert.equal(ended.endReason, "account-disabled");
    assert.equal((await instanceTotals(admin.id)).disabled >= 1, true);

    await setAccountDisabled(admin.id, creator.id, false);
    assert.equal((await logIn({ email: creator.email, password: creator.password }, `ip-${uniq()}`)).id, creator.id);
    assert.equal((await authenticateStreamKey(key.key))?.channelId, channel.id);
  });
});
