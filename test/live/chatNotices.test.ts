// The channel's room hears about the stream: live, reconnecting, back, ended,
// replay ready — each once, as m.notice from the appservice's bot.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { botUserId, roomAlias } from "../../lib/matrix/ids.ts";
import { closeConnectionsAfter } from "../support/env.ts";
import { liveChannel, publish, setGraceSeconds, waitForLive } from "../support/live.ts";
import { channelRoom, join, recentEvents, registeredUser, waitFor } from "../support/matrix.ts";

closeConnectionsAfter();

describe("stream notices in chat", () => {
  it("posts live, reconnecting, resumed, ended and replay-ready notices once each", async () => {
    const ch = await liveChannel({ graceMinutes: "1" });
    await setGraceSeconds(ch.channelId, 4);
    const roomId = await channelRoom(ch.channelId);
    const reader = await registeredUser();
    await join(reader, roomAlias(ch.slug));
    const notices = async () =>
      (await recentEvents(reader, roomId, 100))
        .filter((e) => e.type === "m.room.message" && e.content.msgtype === "m.notice" && e.sender === botUserId())
        .map((e) => String(e.content.body))
        .reverse();

    let pub = publish(ch.key);
    const { sessionId } = await waitForLive(ch.slug);
    await waitFor("the live notice", async () => (await notices()).some((n) => /is live now/.test(n)));
    await pub.stop();
    await waitFor("the reconnecting notice", async () => (await notices()).some((n) => /dropped/.test(n)));
    pub = publish(ch.key);
    await waitFor("the resumed notice", async () => (await notices()).some((n) => /is back/.test(n)), 30_000);
    await pub.stop();
    await waitFor("the replay notice", async () => (await notices()).some((n) => /replay is ready/.test(n)), 40_000);
    const all = await notices();
    const kinds = all.map((n) => (/is live now/.test(n) ? "live" : /dropped/.test(n) ? "reconnecting" : /is back/.test(n) ? "resumed" : /ended/.test(n) ? "ended" : /replay is ready/.test(n) ? "replay" : n));
    assert.deepEqual(kinds, ["live", "reconnecting", "resumed", "reconnecting", "ended", "replay"]);
    assert.match(all.at(-1)!, new RegExp(`/c/${ch.slug}/replays/[0-9a-f-]{36}$`));
    assert.ok(sessionId);
  });
});
