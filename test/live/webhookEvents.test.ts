// A real publish, dropped and resumed, then ended by a program with an API token:
// the channel's webhook (a real HTTP receiver started here) gets stream.started,
// stream.reconnecting, stream.resumed, stream.ended, replay.ready and
// replay.exported, in that order, each signed and about the same session; the
// delivery log shows them all delivered, and "send again" sends one once more.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { db } from "../../lib/db.ts";
import { closeConnectionsAfter } from "../support/env.ts";
import { api } from "../support/http.ts";
import { liveChannel, publish, setGraceSeconds, waitFor, waitForLive } from "../support/live.ts";
import { makeToken, tokenApi } from "../support/ownerApi.ts";
import { startReceiver, type Receiver } from "../support/webhookReceiver.ts";
import { signatureValid } from "../support/webhookSignature.ts";

closeConnectionsAfter();

let receiver: Receiver | undefined;
after(async () => receiver?.close());

const ORDER = ["stream.started", "stream.reconnecting", "stream.resumed", "stream.ended", "replay.ready", "replay.exported"];

describe("webhooks from a real stream", () => {
  it("deliver each stream and replay event once, in order, signed", async () => {
    receiver = await startReceiver();
    const r = receiver;
    const ch = await liveChannel({ graceMinutes: "1" });
    // Long enough to come back within it on a busy machine; the stream is ended by the API, not the window.
    await setGraceSeconds(ch.channelId, 60);
    const added = await api("POST", `/api/channels/${ch.channelId}/webhooks`, { cookie: ch.owner.cookie, body: { url: r.url, events: ORDER } });
    assert.equal(added.status, 201, added.text);
    const hook = added.json();
    const types = () => r.got.map((g) => g.json?.type as string);
    const received = (type: string, timeoutMs = 60_000) => waitFor(`${type} to be delivered`, async () => r.got.find((g) => g.json?.type === type), timeoutMs, 200);

    let pub = publish(ch.key, { size: "640x360" });
    const { sessionId } = await waitForLive(ch.slug, 60_000);
    await received("stream.started");
    await pub.stop();
    await received("stream.reconnecting");
    pub = publish(ch.key, { size: "640x360" });
    await received("stream.resumed", 90_000);
    // End stream, as a program would.
    const ended = await tokenApi("POST", `/api/live-sessions/${sessionId}/end`, await makeToken(ch.owner, ["stream:end"], ch.channelId));
    assert.equal(ended.status, 200, ended.text);
    await pub.stop();
    await received("stream.ended");
    await received("replay.ready", 120_000);
    await received("replay.exported", 240_000);

    // Once each (no duplicates from retries or repeated transitions), in the order they happened.
    assert.deepEqual(types(), ORDER);
    const replay = await db().replay.findUniqueOrThrow({ where: { sessionId } });
    for (const g of r.got) {
      assert.ok(signatureValid(g.headers["x-livehouse-signature"], g.body, hook.secret), `${g.json.type} is signed`);
      assert.equal(g.json.channel.id, ch.channelId);
      assert.equal(g.json.data.sessionId, sessionId, g.json.type);
      assert.match(g.json.id, /^[0-9a-f-]{36}$/);
    }
    const byType = Object.fromEntries(r.got.map((g) => [g.json.type, g.json]));
    const stamps = r.got.map((g) => Date.parse(g.json.timestamp));
    assert.deepEqual(stamps, [...stamps].sort((a, b) => a - b), "timestamps follow the order");
    assert.equal(byType["stream.reconnecting"].data.part, 0);
    assert.equal(byType["stream.reconnecting"].data.reconnectWindowSeconds, 60);
    assert.equal(byType["stream.resumed"].data.part, 1);
    assert.equal(byType["stream.ended"].data.reason, "ended-by-creator");
    assert.equal(byType["replay.ready"].data.replayId, replay.id);
    assert.equal(byType["replay.ready"].data.url, `${process.env.PUBLIC_URL}/c/${ch.slug}/replays/${replay.id}`);
    assert.equal(byType["replay.exported"].data.replayId, replay.id);
    assert.ok(byType["replay.exported"].data.bytes > 0);
    assert.equal(byType["replay.exported"].data.mp4Url, `${process.env.PUBLIC_URL}/hls/live/${sessionId}/replay.mp4`);

    // The delivery log shows each one delivered at the first attempt.
    const log = await waitFor("every delivery to be logged as delivered", async () => {
      const res = await api("GET", `/api/webhooks/${hook.id}/deliveries`, { cookie: ch.owner.cookie });
      const rows = res.json().deliveries as any[];
      return rows.length === ORDER.length && rows.every((d) => d.status === "succeeded") ? rows : null;
    });
    assert.deepEqual(log.map((d) => d.eventType).reverse(), ORDER);
    for (const d of log) assert.deepEqual([d.responseStatus, d.attempts, d.responseSnippet], [200, 1, "received"]);

    // Send again: stream.started once more, the same event.
    const started = log.find((d) => d.eventType === "stream.started");
    assert.equal((await api("POST", `/api/webhook-deliveries/${started.id}/resend`, { cookie: ch.owner.cookie })).status, 202);
    const again = (await r.waitForCount(ORDER.length + 1, "stream.started sent again"))[ORDER.length];
    assert.equal(again.json.id, byType["stream.started"].id);
    assert.equal(again.json.type, "stream.started");
  });
});
