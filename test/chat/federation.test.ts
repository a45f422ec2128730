// Federation: a second Synapse (its own server name) started by this test on
// loopback; a user there joins the channel room over federation, chats both
// ways, and a channel ban applies to them.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { roomAlias } from "../../lib/matrix/ids.ts";
import type { SynapseInstance } from "../../scripts/synapse.ts";
import { closeConnectionsAfter } from "../support/env.ts";
import { makeChannel, makeUser, type TestUser } from "../support/fixtures.ts";
import { api } from "../support/http.ts";
import { startOwnHomeserver, type OwnHomeserver } from "../support/ownHomeserver.ts";
import { MatrixHttpError, SERVER_NAME, channelRoom, join, membership, recentEvents, registeredUser, say, waitFor, type MatrixUser } from "../support/matrix.ts";

closeConnectionsAfter();

let own: OwnHomeserver;
let remote: SynapseInstance;

before(async () => {
  own = await startOwnHomeserver("remote");
  remote = own.hs;
});

after(() => own?.stop());

const bodies = async (u: MatrixUser, roomId: string) =>
  (await recentEvents(u, roomId)).filter((e) => e.type === "m.room.message").map((e) => `${e.sender}: ${String(e.content.body)}`);

describe("federation", () => {
  let owner: TestUser;
  let channelId: string;
  let roomId: string;
  let alias: string;
  let local: MatrixUser;
  let visitor: MatrixUser;

  it("a user on another homeserver joins #alias over federation and both sides chat", async () => {
    assert.notEqual(remote.serverName, SERVER_NAME);
    owner = await makeUser("fedowner");
    const channel = await makeChannel(owner, "Federated");
    channelId = channel.id;
    roomId = await channelRoom(channel.id);
    alias = roomAlias(channel.slug);
    local = await registeredUser();
    await join(local, alias);
    visitor = await registeredUser(undefined, remote.clientUrl, remote.registrationSharedSecret);
    assert.ok(visitor.userId.endsWith(`:${remote.serverName}`));
    assert.equal(await join(visitor, alias), roomId, "the alias resolves over federation to the channel room");

    await say(local, roomId, "hello from the home server");
    await say(visitor, roomId, "hello from far away");
    await waitFor("the visitor's message at home", async () => (await bodies(local, roomId)).includes(`${visitor.userId}: hello from far away`));
    await waitFor("the local message at the visitor's server", async () => (await bodies(visitor, roomId)).includes(`${local.userId}: hello from the home server`));
  });

  it("a channel ban applies to the remote user", async () => {
    const res = await api("POST", `/api/channels/${channelId}/chat/moderate`, { cookie: owner.cookie, body: { action: "ban", userId: visitor.userId, reason: "federated spam" } });
    assert.equal(res.status, 200, res.text);
    assert.equal(await membership(local, roomId, visitor.userId), "ban");
    // The remote server learns of the ban over federation; until then it may still
    // accept a send from its user, but the home server refuses those events.
    const sentAfterBan: string[] = [];
    await waitFor(
      "the remote server to refuse its banned user",
      async () => {
        try {
          const body = `can I still talk? ${sentAfterBan.length}`;
          await say(visitor, roomId, body);
          sentAfterBan.push(body);
          return false;
        } catch (err) {
          return err instanceof MatrixHttpError && err.status === 403;
        }
      },
      15_000,
      200,
    );
    await assert.rejects(join(visitor, alias), (e: MatrixHttpError) => e.status === 403);
    await new Promise((r) => setTimeout(r, 1000));
    const home = await bodies(local, roomId);
    assert.ok(!home.some((b) => b.includes("can I still talk?")), `home server shows none of: ${sentAfterBan.join(", ")}`);
  });
});
