// Webhooks end to end through the running stack: added from the dashboard's API
// (secret shown once), events fanned out by the workers to a real HTTP receiver
// started here, signatures checked as the README tells receivers to, a 500 retried
// and then delivered, the delivery log, send again, secret rotation, pausing, and
// chat moderation as an event. (Private destinations are allowed in the test stack
// so that the receiver can listen on 127.0.0.1; test/unit/webhookDestination.test.ts
// and webhookDelivery.test.ts prove they are refused by default.)
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { db } from "../../lib/db.ts";
import { emitWebhookEvent } from "../../lib/webhooks/events.ts";
import { closeConnectionsAfter } from "../support/env.ts";
import { makeChannel, makeUser, type TestUser } from "../support/fixtures.ts";
import { api } from "../support/http.ts";
import { waitFor } from "../support/live.ts";
import { makeToken, tokenApi } from "../support/ownerApi.ts";
import { startReceiver, type Receiver } from "../support/webhookReceiver.ts";
import { signatureValid } from "../support/webhookSignature.ts";

closeConnectionsAfter();

const receivers: Receiver[] = [];
after(async () => {
  for (const r of receivers) await r.close();
});

async function receiver() {
  const r = await startReceiver();
  receivers.push(r);
  return r;
}

async function addWebhook(user: TestUser, channelId: string, url: string, events: string[]) {
  const res = await api("POST", `/api/channels/${channelId}/webhooks`, { cookie: user.cookie, body: { url, events } });
  assert.equal(res.status, 201, res.text);
  return res.json() as { id: string; secret: string; secretHint: string; url: string; events: string[] };
}

const deliveries = async (user: TestUser, webhookId: string) => {
  const res = await api("GET", `/api/webhooks/${webhookId}/deliveries`, { cookie: user.cookie });
  assert.equal(res.status, 200, res.text);
  return res.json().deliveries as any[];
};

describe("webhooks", () => {
  it("are added with a secret shown once, listed by hint, and refuse URLs that cannot be destinations", async () => {
    const a = await makeUser("a");
    const c = await makeChannel(a);
    const r = await receiver();
    const hook = await addWebhook(a, c.id, r.url, ["stream.ended", "stream.started", "stream.started"]);
    assert.match(hook.secret, /^whsec_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(hook.events, ["stream.started", "stream.ended"]);
    assert.equal(hook.secretHint, hook.secret.slice(0, 10) + "…");
    const list = await api("GET", `/api/channels/${c.id}/webhooks`, { cookie: a.cookie });
    assert.ok(!list.text.includes(hook.secret), "the secret is never shown again");
    assert.deepEqual(list.json().webhooks.map((h: any) => h.url), [r.url]);

    const bad: [unknown, unknown, RegExp][] = [
      ["ftp://example.org/x", ["stream.started"], /Only http:\/\/ and https:\/\//],
      ["https://user:pw@example.org/x", ["stream.started"], /no user name or password/],
      ["not a url", ["stream.started"], /not a URL/],
      ["https://nowhere.invalid/x", ["stream.started"], /does not resolve/],
      [r.url, [], /at least one event/],
      [r.url, ["stream.exploded"], /Unknown event "stream.exploded"/],
    ];
    for (const [url, events, msg] of bad) {
      const res = await api("POST", `/api/channels/${c.id}/webhooks`, { cookie: a.cookie, body: { url, events } });
      assert.equal(res.status, 422, JSON.stringify(url));
      assert.match(res.json().error, msg);
    }
    assert.equal(await db().webhook.count({ where: { channelId: c.id } }), 1);
  });

  it("send a signed test event; the delivery log shows the answer", async () => {
    const a = await makeUser("a");
    const c = await makeChannel(a);
    const r = await receiver();
    const hook = await addWebhook(a, c.id, r.url, ["stream.started"]);
    const asked = Date.now();
    const queued = await api("POST", `/api/webhooks/${hook.id}/test`, { cookie: a.cookie });
    assert.equal(queued.status, 202);
    const [got] = await r.waitForCount(1, "the test event");
    assert.ok(signatureValid(got.headers["x-livehouse-signature"], got.body, hook.secret), "signature verifies with the secret shown once");
    assert.equal(signatureValid(got.headers["x-livehouse-signature"], got.body + " ", hook.secret), false);
    assert.equal(got.headers["content-type"], "application/json");
    assert.equal(got.headers["x-livehouse-event"], "webhook.test");
    assert.equal(got.headers["x-livehouse-event-id"], got.json.id);
    assert.equal(got.headers["x-livehouse-delivery"], queued.json().id);
    assert.equal(got.json.type, "webhook.test");
    const sentAt = Date.parse(got.json.timestamp);
    assert.ok(sentAt >= asked - 1000 && sentAt <= Date.now() + 1000, "the timestamp is the time of sending: after it was asked for, before it arrived");
    assert.deepEqual(got.json.channel, { id: c.id, slug: c.slug, title: c.title, url: `${process.env.PUBLIC_URL}/c/${c.slug}` });
    const [d] = await waitFor("the delivery to be logged", async () => {
      const log = await deliveries(a, hook.id);
      return log[0]?.status === "succeeded" ? log : null;
    });
    assert.equal(d.responseStatus, 200);
    assert.equal(d.attempts, 1);
    assert.equal(d.responseSnippet, "received");
    assert.ok(d.durationMs >= 0);
    assert.equal(d.body, got.body);
  });

  it("retry after a 500 with the same event and delivery, and log the attempts", async () => {
    const a = await makeUser("a");
    const c = await makeChannel(a);
    const r = await receiver();
    const hook = await addWebhook(a, c.id, r.url, ["stream.started"]);
    r.answerNext(500);
    await emitWebhookEvent(c.id, "stream.started", `retry-test-${c.id}`, { sessionId: "s1", startedAt: new Date().toISOString() });
    const [first, second] = await r.waitForCount(2, "the retry after a 500", 60_000);
    assert.deepEqual([first.answered, second.answered], [500, 200]);
    assert.equal(second.json.id, first.json.id);
    assert.equal(second.headers["x-livehouse-delivery"], first.headers["x-livehouse-delivery"]);
    for (const g of [first, second]) assert.ok(signatureValid(g.headers["x-livehouse-signature"], g.body, hook.secret));
    const [d] = await waitFor("the delivery to be logged as delivered", async () => {
      const log = await deliveries(a, hook.id);
      return log[0]?.status === "succeeded" ? log : null;
    });
    assert.equal(d.attempts, 2);
    assert.equal(d.responseStatus, 200);
    // Delivered once: no third request comes.
    await new Promise((res) => setTimeout(res, 1500));
    assert.equal(r.got.length, 2);

    // The same occasion emitted again is the same event: no second delivery.
    await emitWebhookEvent(c.id, "stream.started", `retry-test-${c.id}`, { sessionId: "s1", startedAt: new Date().toISOString() });
    await new Promise((res) => setTimeout(res, 2000));
    assert.equal(r.got.length, 2);
    assert.equal((await deliveries(a, hook.id)).length, 1);

    // Send again: the same event, a new delivery, marked as such.
    const again = await api("POST", `/api/webhook-deliveries/${d.id}/resend`, { cookie: a.cookie });
    assert.equal(again.status, 202);
    const third = (await r.waitForCount(3, "the event sent again"))[2];
    assert.equal(third.json.id, first.json.id);
    assert.equal(third.body, first.body);
    assert.notEqual(third.headers["x-livehouse-delivery"], first.headers["x-livehouse-delivery"]);
    const log = await waitFor("both deliveries in the log", async () => {
      const l = await deliveries(a, hook.id);
      return l.length === 2 && l.every((x) => x.status === "succeeded") ? l : null;
    });
    assert.deepEqual(log.map((x) => x.redelivery), [true, false]);
  });

  it("go only to enabled webhooks subscribed to the event", async () => {
    const a = await makeUser("a");
    const c = await makeChannel(a);
    const [subscribed, other, paused] = [await receiver(), await receiver(), await receiver()];
    const hooks = [
      await addWebhook(a, c.id, subscribed.url, ["stream.ended"]),
      await addWebhook(a, c.id, other.url, ["stream.started"]),
      await addWebhook(a, c.id, paused.url, ["stream.ended"]),
    ];
    const pause = await api("PATCH", `/api/webhooks/${hooks[2].id}`, { cookie: a.cookie, body: { enabled: false } });
    assert.equal(pause.status, 200);
    assert.equal(pause.json().enabled, false);
    await emitWebhookEvent(c.id, "stream.ended", `fanout-test-${c.id}`, { sessionId: "s2", reason: "test" });
    const [got] = await subscribed.waitForCount(1, "the subscribed webhook's delivery");
    assert.equal(got.json.type, "stream.ended");
    assert.equal(await db().webhookDelivery.count({ where: { webhookId: { in: [hooks[1].id, hooks[2].id] } } }), 0);
    assert.equal(other.got.length + paused.got.length, 0);
  });

  it("rotating the secret shows the new one once; both sign for a day", async () => {
    const a = await makeUser("a");
    const c = await makeChannel(a);
    const r = await receiver();
    const hook = await addWebhook(a, c.id, r.url, ["stream.started"]);
    const rotated = await api("POST", `/api/webhooks/${hook.id}/secret`, { cookie: a.cookie });
    assert.equal(rotated.status, 200);
    const { secret, previousSecretUntil } = rotated.json();
    assert.notEqual(secret, hook.secret);
    assert.ok(Date.parse(previousSecretUntil) > Date.now() + 23 * 3600_000);
    assert.ok(!(await api("GET", `/api/channels/${c.id}/webhooks`, { cookie: a.cookie })).text.includes(secret));
    await api("POST", `/api/webhooks/${hook.id}/test`, { cookie: a.cookie });
    const [got] = await r.waitForCount(1, "a delivery after the rotation");
    const header = got.headers["x-livehouse-signature"] as string;
    assert.equal(header.split(",").filter((p) => p.startsWith("v1=")).length, 2);
    assert.ok(signatureValid(header, got.body, secret));
    assert.ok(signatureValid(header, got.body, hook.secret));
  });

  it("tell about chat moderation done through the API (with an API token)", async () => {
    const a = await makeUser("a");
    const c = await makeChannel(a);
    const r = await receiver();
    const hook = await addWebhook(a, c.id, r.url, ["chat.moderation"]);
    const target = `@_test_mod_${Date.now()}:${process.env.MATRIX_SERVER_NAME}`;
    const token = await makeToken(a, ["chat:moderate"], c.id);
    const res = await tokenApi("POST", `/api/channels/${c.id}/chat/moderate`, token, { action: "moderator", userId: target, grant: true });
    assert.equal(res.status, 200, res.text);
    const [got] = await r.waitForCount(1, "the moderation event", 60_000);
    assert.ok(signatureValid(got.headers["x-livehouse-signature"], got.body, hook.secret));
    assert.equal(got.json.type, "chat.moderation");
    assert.deepEqual(got.json.data, { action: "moderator", userId: target, grant: true, actor: "owner" });
  });

  it("belong to their channel's owner: everyone else gets 404 and changes nothing", async () => {
    const a = await makeUser("a");
    const b = await makeUser("b");
    const c = await makeChannel(a);
    const r = await receiver();
    const hook = await addWebhook(a, c.id, r.url, ["stream.started"]);
    await api("POST", `/api/webhooks/${hook.id}/test`, { cookie: a.cookie });
    const [d] = await waitFor("a logged delivery", async () => {
      const log = await deliveries(a, hook.id);
      return log.length ? log : null;
    });
    const attempts: [string, string, unknown?][] = [
      ["GET", `/api/channels/${c.id}/webhooks`],
      ["POST", `/api/channels/${c.id}/webhooks`, { url: r.url, events: ["stream.started"] }],
      ["PATCH", `/api/webhooks/${hook.id}`, { url: "http://127.0.0.1:9/stolen" }],
      ["DELETE", `/api/webhooks/${hook.id}`],
      ["POST", `/api/webhooks/${hook.id}/secret`],
      ["POST", `/api/webhooks/${hook.id}/test`],
      ["GET", `/api/webhooks/${hook.id}/deliveries`],
      ["POST", `/api/webhook-deliveries/${d.id}/resend`],
    ];
    for (const [method, url, body] of attempts) assert.equal((await api(method, url, { cookie: b.cookie, body })).status, 404, `${method} ${url}`);
    const row = await db().webhook.findUniqueOrThrow({ where: { id: hook.id } });
    assert.equal(row.url, r.url);
    assert.equal(row.secret, hook.secret);
    assert.equal(await db().webhook.count({ where: { channelId: c.id } }), 1);
    // The owner deletes it, and its log with it.
    assert.equal((await api("DELETE", `/api/webhooks/${hook.id}`, { cookie: a.cookie })).status, 204);
    assert.equal(await db().webhookDelivery.count({ where: { webhookId: hook.id } }), 0);
  });
});
