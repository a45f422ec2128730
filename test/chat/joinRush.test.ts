// A rush of joins against the managed Synapse's crowd limits (profile "default",
// scripts/synapseRateLimits.ts; the test stack's own homeserver has them opened
// up): 100 guests who chose a name post within 10 s through the widget's sender
// code, each joining on their first message. Every one of them gets in and posts;
// those the homeserver answers 429 wait in the join queue (withBackoff, unit-
// tested in test/unit/chatFeed.test.ts). How many had to wait depends on how fast
// this Synapse persists joins: its per-room limiter counts a join only once it is
// stored, so a burst is checked against the joins already stored.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { ChatSender } from "../../app/_components/chat/chatSender.ts";
import type { PublicChat } from "../../lib/chat/publicChat.ts";
import type { SynapseInstance } from "../../scripts/synapse.ts";
import { closeConnectionsAfter } from "../support/env.ts";
import { startOwnHomeserver, type OwnHomeserver } from "../support/ownHomeserver.ts";
import { mx, recentEvents, registeredUser, type MatrixUser } from "../support/matrix.ts";

closeConnectionsAfter();

let own: OwnHomeserver;
let hs: SynapseInstance;

before(async () => {
  own = await startOwnHomeserver("rush", { profile: "default", postgres: true, syncWorkers: 0 });
  hs = own.hs;
});

after(() => own?.stop());

describe("a rush of joins against the crowd rate limits", () => {
  it("100 guests posting within 10 s all get in", async () => {
    const host: MatrixUser = await registeredUser(`host${randomBytes(3).toString("hex")}`, hs.clientUrl, hs.registrationSharedSecret);
    const { room_id: roomId } = await mx<{ room_id: string }>(host, "POST", "/_matrix/client/v3/createRoom", {
      preset: "public_chat",
      initial_state: [
        { type: "m.room.guest_access", state_key: "", content: { guest_access: "can_join" } },
        { type: "m.room.history_visibility", state_key: "", content: { history_visibility: "world_readable" } },
      ],
    });
    const chat: PublicChat = { channelId: "", title: "Rush", alias: roomId, roomId, homeserverUrl: hs.clientUrl, serverName: hs.serverName, slowModeSeconds: 0, viewer: null };
    const queued = new Set<number>();
    const tag = `rush ${randomBytes(3).toString("hex")}`;
    // Viewers who have already chosen a name (their guest accounts exist), then all post at once.
    const raiders = Array.from({ length: 100 }, (_, k) => new ChatSender(chat, "rush", (q) => q && queued.add(k)));
    for (let i = 0; i < raiders.length; i += 20) await Promise.all(raiders.slice(i, i + 20).map((s, j) => s.setName(`Raider ${i + j}`)));
    const sent = await Promise.all(
      raiders.map(async (sender, k) => {
        await new Promise((r) => setTimeout(r, k * 100));
        return sender.send(`${tag} ${k}`, `Raider ${k}`);
      }),
    );
    assert.equal(new Set(sent).size, 100, "every raider posted");
    const bodies = new Set((await recentEvents(host, roomId, 200)).map((e) => e.content.body));
    for (let k = 0; k < 100; k++) assert.ok(bodies.has(`${tag} ${k}`), `raider ${k}'s message is in the room`);
    console.log(`# join rush: 100 guests in 10 s; ${queued.size} waited in the join queue; all posted`);
  });
});
