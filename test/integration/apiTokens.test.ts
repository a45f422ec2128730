// API tokens over HTTP against the running web app: made from the dashboard's
// API (shown once, only a hash kept), used on every owner API with the right scope,
// refused with the wrong one (403 naming it), revoked or unknown (401), on another
// owner's or another channel's things (404), for a disabled account (401); a cookie
// beside a bearer lends it nothing; the token never reaches a log.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { setAccountDisabled } from "../../lib/admin.ts";
import { API_SCOPE_NAMES, type ApiScope } from "../../lib/apiScopes.ts";
import { db } from "../../lib/db.ts";
import { closeConnectionsAfter } from "../support/env.ts";
import { makeAdmin, makeUser, type TestUser } from "../support/fixtures.ts";
import { api } from "../support/http.ts";
import { fillPath, makeToken, ownerThings, tokenApi, type OwnerThings } from "../support/ownerApi.ts";

closeConnectionsAfter();

const seenTokens: string[] = [];
const others = (scope: ApiScope) => API_SCOPE_NAMES.filter((s) => s !== scope);

/** Every owner API, with a body that succeeds and the status it answers. */
const calls: { method: string; path: string; scope: ApiScope; body?: (t: OwnerThings) => unknown; status: number }[] = [
  { method: "GET", path: "/api/channels", scope: "channel:read", status: 200 },
  { method: "GET", path: "/api/channels/{id}/live", scope: "channel:read", status: 200 },
  { method: "GET", path: "/api/channels/{id}/replays", scope: "channel:read", status: 200 },
  { method: "GET", path: "/api/channels/{id}/keys", scope: "keys:manage", status: 200 },
  { method: "POST", path: "/api/channels/{id}/keys", scope: "keys:manage", body: () => ({ label: "From a script" }), status: 201 },
  { method: "DELETE", path: "/api/keys/{id}", scope: "keys:manage", status: 204 },
  { method: "POST", path: "/api/live-sessions/{id}/end", scope: "stream:end", status: 200 },
  { method: "PATCH", path: "/api/replays/{id}", scope: "replays:manage", body: () => ({ title: "Renamed by a script" }), status: 200 },
  { method: "DELETE", path: "/api/replays/{id}", scope: "replays:manage", status: 204 },
  { method: "GET", path: "/api/channels/{id}/chat", scope: "chat:moderate", status: 200 },
  { method: "PUT", path: "/api/channels/{id}/chat", scope: "chat:moderate", body: () => ({ slowModeSeconds: 3, wordFilter: "zorgle" }), status: 200 },
  {
    method: "POST",
    path: "/api/channels/{id}/chat/moderate",
    scope: "chat:moderate",
    body: () => ({ action: "moderator", userId: `@_test_mod_${Date.now()}:${process.env.MATRIX_SERVER_NAME}`, grant: true }),
    status: 200,
  },
];

async function tokenFor(user: TestUser, scopes: ApiScope[], channelId: string | null = null) {
  const t = await makeToken(user, scopes, channelId);
  seenTokens.push(t);
  return t;
}

describe("API tokens: made from the dashboard", () => {
  it("are shown once, listed by hint with scopes and last use, and kept only as a hash", async () => {
    const a = await makeUser("a");
    const res = await api("POST", "/api/tokens", { cookie: a.cookie, body: { label: "Stats bot", scopes: ["keys:manage", "channel:read", "channel:read"] } });
    assert.equal(res.status, 201);
    assert.equal(res.headers["cache-control"], "no-store");
    const created = res.json();
    seenTokens.push(created.token);
    assert.match(created.token, /^lh_api_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(created.scopes, ["channel:read", "keys:manage"]);
    assert.equal(created.hint, created.token.slice(0, 11) + "…");

    const list = await api("GET", "/api/tokens", { cookie: a.cookie });
    assert.ok(!list.text.includes(created.token), "the token is never shown again");
    assert.deepEqual(list.json().tokens.map((t: any) => [t.label, t.hint, t.lastUsedAt]), [["Stats bot", created.hint, null]]);

    const row = await db().apiToken.findUniqueOrThrow({ where: { id: created.id } });
    assert.equal(row.tokenHash, createHash("sha256").update(created.token).digest("hex"));
    assert.ok(!JSON.stringify(row).includes(created.token.slice(7)), "no column holds the token");

    assert.equal((await tokenApi("GET", "/api/channels", created.token)).status, 200);
    const used = (await api("GET", "/api/tokens", { cookie: a.cookie })).json().tokens[0];
    assert.ok(used.lastUsedAt, "last use is shown");
  });

  it("channel tokens are made on the channel and listed there, not with the account's", async () => {
    const a = await makeUser("a");
    const t = await ownerThings(a);
    const res = await api("POST", `/api/channels/${t.channelId}/tokens`, { cookie: a.cookie, body: { label: "Overlay", scopes: ["channel:read"] } });
    assert.equal(res.status, 201);
    seenTokens.push(res.json().token);
    assert.equal(res.json().channelId, t.channelId);
    const labels = (await api("GET", `/api/channels/${t.channelId}/tokens`, { cookie: a.cookie })).json().tokens.map((x: any) => x.label);
    assert.deepEqual(labels.sort(), ["Overlay", "fixture"]);
    assert.deepEqual((await api("GET", "/api/tokens", { cookie: a.cookie })).json().tokens, []);
    // Somebody else's channel: 404, nothing made.
    const b = await makeUser("b");
    assert.equal((await api("POST", `/api/channels/${t.channelId}/tokens`, { cookie: b.cookie, body: { label: "x", scopes: ["channel:read"] } })).status, 404);
  });

  it("refuses bad input with a clear 422, and cross-site creation with 403", async () => {
    const a = await makeUser("a");
    const cases: [unknown, RegExp][] = [
      [{ label: "", scopes: ["channel:read"] }, /label/],
      [{ label: "x", scopes: [] }, /at least one scope/],
      [{ label: "x", scopes: ["admin"] }, /Unknown scope "admin"/],
      [{ label: "x" }, /at least one scope/],
      [{ label: "a\u0007b", scopes: ["channel:read"] }, /control characters/],
    ];
    for (const [body, msg] of cases) {
      const res = await api("POST", "/api/tokens", { cookie: a.cookie, body });
      assert.equal(res.status, 422, JSON.stringify(body));
      assert.match(res.json().error, msg);
    }
    assert.equal((await api("POST", "/api/tokens", { cookie: a.cookie, origin: "http://evil.example", body: { label: "x", scopes: ["channel:read"] } })).status, 403);
    assert.equal(await db().apiToken.count({ where: { userId: a.id } }), 0);
  });
});

describe("API tokens: on every owner API", () => {
  for (const c of calls) {
    it(`${c.method} ${c.path}: ${c.scope} → ${c.status}; other scopes → 403 naming it; no, unknown or revoked token → 401`, async () => {
      const a = await makeUser("a");
      const things = await ownerThings(a);
      const url = fillPath(c.path, things);
      const body = c.body?.(things);

      const wrong = await tokenApi(c.method, url, await tokenFor(a, others(c.scope)), body);
      assert.equal(wrong.status, 403, wrong.text);
      assert.equal(wrong.json().requiredScope, c.scope);
      assert.match(wrong.json().error, new RegExp(`lacks the scope "${c.scope}"`));
      assert.match(String(wrong.headers["www-authenticate"]), /insufficient_scope/);

      assert.equal((await tokenApi(c.method, url, "lh_api_" + "A".repeat(43), body)).status, 401);
      assert.equal((await tokenApi(c.method, url, "not-even-shaped-right", body)).status, 401);
      assert.equal((await tokenApi(c.method, url, "", body)).status, 401);
      const revoked = await tokenFor(a, [c.scope]);
      const revokedRow = await db().apiToken.findUniqueOrThrow({ where: { tokenHash: createHash("sha256").update(revoked).digest("hex") } });
      assert.equal((await api("DELETE", `/api/tokens/${revokedRow.id}`, { cookie: a.cookie })).status, 204);
      const r401 = await tokenApi(c.method, url, revoked, body);
      assert.equal(r401.status, 401);
      assert.match(r401.json().error, /unknown or revoked/);

      // The right scope, without a cookie or an Origin (no CSRF check for a program): it works.
      const right = await tokenApi(c.method, url, await tokenFor(a, [c.scope]), body);
      assert.equal(right.status, c.status, right.text);
    });
  }

  it("answers 404 on another owner's things, and for a channel token on another channel of the same owner", async () => {
    const a = await makeUser("a");
    const b = await makeUser("b");
    const mine = await ownerThings(a);
    const theirs = await ownerThings(b);
    const second = await ownerThings(a);
    const everything = await tokenFor(a, [...API_SCOPE_NAMES]);
    const onlyMine = await tokenFor(a, [...API_SCOPE_NAMES], mine.channelId);
    for (const c of calls.filter((x) => x.path.includes("{id}"))) {
      assert.equal((await tokenApi(c.method, fillPath(c.path, theirs), everything, c.body?.(theirs))).status, 404, `${c.method} ${c.path} (another owner)`);
      assert.equal((await tokenApi(c.method, fillPath(c.path, second), onlyMine, c.body?.(second))).status, 404, `${c.method} ${c.path} (another channel)`);
    }
    // Nothing of theirs changed.
    assert.equal(await db().streamKey.count({ where: { id: theirs.keyId, revokedAt: null } }), 1);
    assert.equal(await db().replay.count({ where: { id: theirs.replayId } }), 1);
    assert.equal((await db().liveSession.findUniqueOrThrow({ where: { id: theirs.sessionId } })).status, "live");
    // The channel list: all of mine for an account token, only its channel for a channel token.
    const all = (await tokenApi("GET", "/api/channels", everything)).json().channels.map((c: any) => c.id);
    assert.deepEqual(all.sort(), [mine.channelId, second.channelId].sort());
    assert.deepEqual((await tokenApi("GET", "/api/channels", onlyMine)).json().channels.map((c: any) => c.id), [mine.channelId]);
    // …and the channel token works on its own channel.
    assert.equal((await tokenApi("GET", `/api/channels/${mine.channelId}/live`, onlyMine)).status, 200);
  });

  it("stop working when the account is disabled, and work again when it is enabled", async () => {
    const admin = await makeAdmin();
    const a = await makeUser("a");
    const things = await ownerThings(a);
    const token = await tokenFor(a, ["channel:read"]);
    assert.equal((await tokenApi("GET", `/api/channels/${things.channelId}/live`, token)).status, 200);
    await setAccountDisabled(admin.id, a.id, true);
    assert.equal((await tokenApi("GET", `/api/channels/${things.channelId}/live`, token)).status, 401);
    await setAccountDisabled(admin.id, a.id, false);
    assert.equal((await tokenApi("GET", `/api/channels/${things.channelId}/live`, token)).status, 200);
  });

  it("cannot reach the dashboard-only APIs (tokens, webhooks, chat login), whatever its scopes and whatever cookie rides along", async () => {
    const a = await makeUser("a");
    const things = await ownerThings(a);
    const token = await tokenFor(a, [...API_SCOPE_NAMES]);
    const sessionOnly: [string, string, unknown?][] = [
      ["GET", "/api/tokens"],
      ["POST", "/api/tokens", { label: "escalate", scopes: ["keys:manage"] }],
      ["DELETE", `/api/tokens/${things.tokenId}`],
      ["POST", `/api/channels/${things.channelId}/tokens`, { label: "escalate", scopes: ["keys:manage"] }],
      ["GET", `/api/channels/${things.channelId}/webhooks`],
      ["POST", `/api/channels/${things.channelId}/webhooks`, { url: "http://127.0.0.1:9/x", events: ["stream.started"] }],
      ["PATCH", `/api/webhooks/${things.webhookId}`, { url: "http://127.0.0.1:9/elsewhere" }],
      ["POST", `/api/webhooks/${things.webhookId}/secret`],
      ["POST", `/api/chat/${things.slug}/session`],
    ];
    for (const [method, url, body] of sessionOnly) {
      const plain = await tokenApi(method, url, token, body);
      assert.equal(plain.status, 403, `${method} ${url}`);
      assert.match(plain.json().error, /needs a logged-in browser session/);
      // The owner's own session cookie beside the token (and a same-origin Origin): still judged by the token.
      const both = await tokenApi(method, url, token, body, { cookie: a.cookie, origin: new URL(process.env.LH_TEST_BASE_URL!).origin });
      assert.equal(both.status, 403, `${method} ${url} with a cookie`);
    }
    assert.equal(await db().apiToken.count({ where: { userId: a.id, label: "escalate" } }), 0);
    assert.equal((await db().webhook.findUniqueOrThrow({ where: { id: things.webhookId } })).url, "http://127.0.0.1:9/hook");
    // A bad bearer beside a good cookie is a 401, not the cookie's user.
    const bad = await tokenApi("GET", `/api/channels/${things.channelId}/live`, "lh_api_" + "B".repeat(43), undefined, { cookie: a.cookie });
    assert.equal(bad.status, 401);
    // Another user's cookie beside a's token acts as a (the token), not as the cookie's user.
    const b = await makeUser("b");
    assert.equal((await tokenApi("GET", `/api/channels/${things.channelId}/live`, token, undefined, { cookie: b.cookie })).status, 200);
    const bToken = await tokenFor(b, ["channel:read"]);
    assert.equal((await tokenApi("GET", `/api/channels/${things.channelId}/live`, bToken, undefined, { cookie: a.cookie })).status, 404);
  });

  it("never appear in any role's log", async () => {
    assert.ok(seenTokens.length > 20, `${seenTokens.length} tokens used`);
    const dir = process.env.LH_TEST_LOG_DIR!;
    const files = readdirSync(dir).map((f) => path.join(dir, f)).filter((f) => statSync(f).isFile());
    assert.ok(files.length > 0, "role logs exist");
    for (const f of files) {
      const text = readFileSync(f, "utf8");
      for (const t of seenTokens) assert.ok(!text.includes(t.slice(7)), `${path.basename(f)} contains a token`);
    }
  });
});
