// Route handlers over HTTP against the running web app: authorization (IDOR),
// CSRF refusal, and clear errors for malformed input.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { db } from "../../lib/db.ts";
import { authenticateStreamKey, isWellFormedStreamKey } from "../../lib/streamKeys.ts";
import { closeConnectionsAfter } from "../support/env.ts";
import { makeChannel, makeKey, makeUser } from "../support/fixtures.ts";
import { api, request } from "../support/http.ts";

closeConnectionsAfter();

describe("stream key API", () => {
  it("creates a key for the owner, returns it once, and lists only hints afterwards", async () => {
    const a = await makeUser("a");
    const c = await makeChannel(a);
    const res = await api("POST", `/api/channels/${c.id}/keys`, { cookie: a.cookie, body: { label: "Studio PC" } });
    assert.equal(res.status, 201);
    assert.equal(res.headers["cache-control"], "no-store");
    const created = res.json();
    assert.ok(isWellFormedStreamKey(created.key));
    assert.equal(created.label, "Studio PC");
    const list = await api("GET", `/api/channels/${c.id}/keys`, { cookie: a.cookie });
    assert.equal(list.status, 200);
    assert.ok(!list.text.includes(created.key), "the key is never shown again");
    assert.deepEqual(list.json().keys.map((k: any) => k.hint), [created.hint]);
  });

  it("user B gets 404 for every key route of user A's channel, and nothing changes", async () => {
    const a = await makeUser("a");
    const b = await makeUser("b");
    const c = await makeChannel(a);
    const k = await makeKey(a, c.id);
    assert.equal((await api("GET", `/api/channels/${c.id}/keys`, { cookie: b.cookie })).status, 404);
    assert.equal((await api("POST", `/api/channels/${c.id}/keys`, { cookie: b.cookie, body: { label: "x" } })).status, 404);
    assert.equal((await api("DELETE", `/api/keys/${k.id}`, { cookie: b.cookie })).status, 404);
    assert.equal(await db().streamKey.count({ where: { channelId: c.id } }), 1);
    assert.ok(await authenticateStreamKey(k.key));
    // And the owner can revoke it.
    assert.equal((await api("DELETE", `/api/keys/${k.id}`, { cookie: a.cookie })).status, 204);
    assert.equal(await authenticateStreamKey(k.key), null);
  });

  it("needs a session", async () => {
    const a = await makeUser("a");
    const c = await makeChannel(a);
    assert.equal((await api("GET", `/api/channels/${c.id}/keys`)).status, 401);
    assert.equal((await api("POST", `/api/channels/${c.id}/keys`, { body: { label: "x" } })).status, 401);
    assert.equal((await api("GET", `/api/channels/${c.id}/keys`, { cookie: "lh_session=forged" })).status, 401);
  });

  it("refuses cross-origin mutations: foreign Origin, missing Origin, cross-site fetch metadata", async () => {
    const a = await makeUser("a");
    const c = await makeChannel(a);
    const k = await makeKey(a, c.id);
    const attempts = [
      { origin: "http://evil.example" },
      { origin: null },
      { origin: "null" },
      { site: "cross-site" },
      { site: "same-site" },
    ] as const;
    for (const attempt of attempts) {
      const create = await api("POST", `/api/channels/${c.id}/keys`, { cookie: a.cookie, body: { label: "csrf" }, ...attempt });
      assert.equal(create.status, 403, JSON.stringify(attempt));
      assert.match(create.json().error, /Cross-site|no Origin/);
      const revoke = await api("DELETE", `/api/keys/${k.id}`, { cookie: a.cookie, ...attempt });
      assert.equal(revoke.status, 403, JSON.stringify(attempt));
    }
    assert.equal(await db().streamKey.count({ where: { channelId: c.id } }), 1);
    assert.ok(await authenticateStreamKey(k.key));
  });

  it("answers malformed bodies with a clear 422 and saves nothing", async () => {
    const a = await makeUser("a");
    const c = await makeChannel(a);
    const h = { cookie: a.cookie, origin: new URL(process.env.LH_TEST_BASE_URL!).origin };
    const cases = [
      { body: "{not json", type: "application/json", msg: /not a JSON object/ },
      { body: "label=x", type: "application/x-www-form-urlencoded", msg: /Send JSON/ },
      { body: JSON.stringify({ label: "x".repeat(5000) }), type: "application/json", msg: /too large/ },
      { body: JSON.stringify({ label: "" }), type: "application/json", msg: /label/ },
      { body: "[1,2]", type: "application/json", msg: /not a JSON object/ },
    ];
    for (const cse of cases) {
      const res = await request("POST", `/api/channels/${c.id}/keys`, { headers: { ...h, "content-type": cse.type }, body: cse.body });
      assert.equal(res.status, 422, cse.body.slice(0, 20));
      assert.match(res.text, cse.msg);
    }
    assert.equal(await db().streamKey.count({ where: { channelId: c.id } }), 0);
  });
});

describe("pages", () => {
  it("user B gets 404 for user A's channel settings page; A sees it", async () => {
    const a = await makeUser("a");
    const b = await makeUser("b");
    const c = await makeChannel(a, "Secret settings of A");
    const asB = await request("GET", `/dashboard/channels/${c.id}`, { headers: { cookie: b.cookie } });
    assert.equal(asB.status, 404);
    assert.ok(!asB.text.includes("Secret settings of A"));
    const asA = await request("GET", `/dashboard/channels/${c.id}`, { headers: { cookie: a.cookie } });
    assert.equal(asA.status, 200);
    assert.ok(asA.text.includes("Secret settings of A"));
  });

  it("the dashboard shows only the user's own channels and no key material", async () => {
    const a = await makeUser("a");
    const b = await makeUser("b");
    const ca = await makeChannel(a, "Only A sees this");
    const k = await makeKey(a, ca.id);
    const page = await request("GET", "/dashboard", { headers: { cookie: b.cookie } });
    assert.equal(page.status, 200);
    assert.ok(!page.text.includes("Only A sees this"));
    const own = await request("GET", "/dashboard", { headers: { cookie: a.cookie } });
    assert.ok(own.text.includes("Only A sees this"));
    assert.ok(own.text.includes(k.hint.replace("…", "")));
    assert.ok(!own.text.includes(k.key), "the dashboard never renders a full key");
  });

  it("sends anonymous users to log in instead of rendering the dashboard", async () => {
    const res = await request("GET", "/dashboard");
    assert.ok([303, 307, 308].includes(res.status) || res.text.includes("NEXT_REDIRECT"), String(res.status));
    assert.match(String(res.headers.location ?? res.text), /\/login/);
  });

  it("public channel page shows title, description and offline state; unknown slug is 404", async () => {
    const a = await makeUser("a");
    const c = await makeChannel(a, "Public show");
    const page = await request("GET", `/c/${c.slug}`);
    assert.equal(page.status, 200);
    assert.ok(page.text.includes("Public show"));
    assert.match(page.text, /Offline/);
    assert.equal((await request("GET", "/c/no-such-channel-here")).status, 404);
  });

  it("sends security headers", async () => {
    const res = await request("GET", "/");
    assert.match(String(res.headers["content-security-policy"]), /frame-ancestors 'none'/);
    assert.equal(res.headers["x-content-type-options"], "nosniff");
    assert.equal(res.headers["x-powered-by"], undefined);
  });

  it("health reports database and redis", async () => {
    const res = await request("GET", "/api/health");
    assert.deepEqual(res.json(), { ok: true, database: true, redis: true });
  });
});
