// Reproductions of what a stranger found on the running site: an open redirect
// after login, and 500s for ids that are not UUIDs and for NUL bytes in text.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createChannel } from "../../lib/channels.ts";
import { randomUUID } from "node:crypto";
import { ValidationError } from "../../lib/errors.ts";
import { MAX_VIEWERS_PER_ADDRESS, countViewer } from "../../lib/viewers.ts";
import { closeConnectionsAfter } from "../support/env.ts";
import { makeChannel, makeUser } from "../support/fixtures.ts";
import { api, request } from "../support/http.ts";

closeConnectionsAfter();

const HOSTILE_NEXT = ["/%09/evil.example/", "/%0a/evil.example/", "/%0d%0a/evil.example/", "/%E3%80%82/evil.example/", "//evil.example/", "/%5Cevil.example", "https://evil.example/"];

describe("web hardening", () => {
  it("login never redirects off this site, and never fails on what ?next= holds", async () => {
    const user = await makeUser("redirect");
    for (const next of HOSTILE_NEXT) {
      const loggedIn = await request("GET", `/login?next=${next}`, { headers: { cookie: user.cookie } });
      assert.equal(loggedIn.status, 307, `${next}: ${loggedIn.status}`);
      assert.equal(loggedIn.headers.location, "/dashboard", `${next} → ${loggedIn.headers.location}`);
      const anonymous = await request("GET", `/login?next=${next}`);
      assert.equal(anonymous.status, 200, `${next} (logged out): ${anonymous.status}`);
      // The form carries on only the safe path (the page's URL itself may echo in Next's payload).
      const carried = /<input[^>]*name="next"[^>]*value="([^"]*)"/.exec(anonymous.text)?.[1] ?? /<input[^>]*value="([^"]*)"[^>]*name="next"/.exec(anonymous.text)?.[1];
      assert.equal(carried, "/dashboard", `${next}: the form carries on ${carried}`);
    }
    const fine = await request("GET", "/login?next=/c/somewhere%3Fx", { headers: { cookie: user.cookie } });
    assert.equal(fine.headers.location, "/c/somewhere?x");
  });

  it("ids that are not UUIDs are 404, not 500", async () => {
    const user = await makeUser("ids");
    for (const path of ["/api/channels/not-a-uuid/replays", "/api/channels/not-a-uuid/live", "/api/channels/1'%20or%201=1/keys", "/api/channels/%00/chat"]) {
      const res = await api("GET", path, { cookie: user.cookie });
      assert.equal(res.status, 404, `${path}: ${res.status} ${res.text.slice(0, 80)}`);
    }
    assert.equal((await api("DELETE", "/api/keys/xyz", { cookie: user.cookie })).status, 404);
    assert.equal((await api("POST", "/api/live-sessions/xyz/end", { cookie: user.cookie })).status, 404);
  });

  it("a NUL byte in a title, key label, word filter or ban reason is refused with a clear message", async () => {
    const user = await makeUser("nul");
    const channel = await makeChannel(user);
    await assert.rejects(
      createChannel(user.id, { slug: "nul-title", title: "bad\u0000title", description: "", reconnectGraceMinutes: "5", ladder: "" }),
      (e: unknown) => e instanceof ValidationError && /control characters/.test(e.fields.title),
    );
    const key = await api("POST", `/api/channels/${channel.id}/keys`, { cookie: user.cookie, body: { label: "OBS\u0000" } });
    assert.equal(key.status, 422, key.text);
    const filter = await api("PUT", `/api/channels/${channel.id}/chat`, { cookie: user.cookie, body: { slowModeSeconds: 0, wordFilter: "zorg\u0000le" } });
    assert.equal(filter.status, 422, filter.text);
    assert.match(filter.json().error, /NUL/);
    const ban = await api("POST", `/api/channels/${channel.id}/chat/moderate`, { cookie: user.cookie, body: { action: "ban", userId: "@someone:localhost", reason: "spam\u0000" } });
    assert.equal(ban.status, 422, ban.text);
    // And the same without NUL still works (the refusal is about the byte, not the route).
    assert.equal((await api("POST", `/api/channels/${channel.id}/keys`, { cookie: user.cookie, body: { label: "OBS" } })).status, 201);
  });

  it("made-up viewer ids from one address count at most a household's worth; real viewers on other addresses all count", async () => {
    const session = randomUUID();
    let count = 0;
    for (let i = 0; i < 300; i++) count = await countViewer(session, `viewer-${randomUUID().slice(0, 12)}`, "127.0.0.50");
    assert.equal(count, MAX_VIEWERS_PER_ADDRESS);
    for (let i = 0; i < 30; i++) count = await countViewer(session, `real-viewer-${i}`, `127.0.1.${i + 1}`);
    assert.equal(count, MAX_VIEWERS_PER_ADDRESS + 30);
    // A counted viewer's heartbeat keeps it counted, and does not count twice.
    assert.equal(await countViewer(session, "real-viewer-3", "127.0.1.4"), MAX_VIEWERS_PER_ADDRESS + 30);
  });
});
