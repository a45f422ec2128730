// The appservice counts a transaction's chat messages (the channel's total and its
// live session's statistics) in the same statement that records the transaction
// (lib/chat/store.ts recordTransaction): a transaction the homeserver sends again,
// because an earlier attempt failed after the rules ran, is counted once. A numbered
// transaction above the newest recorded is known to be new without a query.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { recordTransaction, transactionProcessed } from "../../lib/chat/store.ts";
import { db } from "../../lib/db.ts";
import { closeConnectionsAfter } from "../support/env.ts";
import { makeChannel, makeUser } from "../support/fixtures.ts";

closeConnectionsAfter();

describe("recording an appservice transaction", () => {
  it("counts its messages once per transaction id, toward the channel and its session on the air only", async () => {
    const owner = await makeUser("txncount");
    const [a, b] = [await makeChannel(owner, "A"), await makeChannel(owner, "B")];
    const live = await db().liveSession.create({ data: { channelId: a.id, status: "live", ladder: "360p30@800k", segmentSeconds: 2 } });
    const ended = await db().liveSession.create({ data: { channelId: a.id, status: "ended", ladder: "360p30@800k", segmentSeconds: 2, endedAt: new Date() } });
    for (const s of [live, ended]) await db().sessionStats.create({ data: { sessionId: s.id } });
    const txnId = `count-${randomUUID()}`;
    const messages = new Map([[a.id, 3], [b.id, 2]]);

    await recordTransaction(txnId, 6, messages);
    await recordTransaction(txnId, 6, messages); // sent again: recorded already, nothing counted
    assert.equal(await transactionProcessed(txnId), true);
    const count = async (id: string) => (await db().channel.findUniqueOrThrow({ where: { id } })).chatMessageCount;
    assert.equal(await count(a.id), 3);
    assert.equal(await count(b.id), 2);
    const stats = async (id: string) => (await db().sessionStats.findUniqueOrThrow({ where: { sessionId: id } })).chatMessages;
    assert.equal(await stats(live.id), 3, "the session on the air");
    assert.equal(await stats(ended.id), 0, "not an ended one");

    // A transaction without messages, and one naming a channel deleted meanwhile: recorded, nothing fails.
    await recordTransaction(`count-${randomUUID()}`, 1);
    const gone = `count-${randomUUID()}`;
    await recordTransaction(gone, 1, new Map([[randomUUID(), 1]]));
    assert.equal(await transactionProcessed(gone), true);
    await recordTransaction(`count-${randomUUID()}`, 1, new Map([[a.id, 1]]));
    assert.equal(await count(a.id), 4);
  });

  it("knows the homeserver's numbered transactions: recorded ones, new ones above the newest, and unrecorded ones below it", async () => {
    // Above any id another test file may have recorded in this database.
    const base = BigInt(Date.now()) * 1000n + BigInt(Math.floor(Math.random() * 1000));
    const id = (k: number) => String(base + BigInt(k));
    await recordTransaction(id(0), 1);
    assert.equal(await transactionProcessed(id(0)), true, "recorded");
    assert.equal(await transactionProcessed(id(1)), false, "the next one");
    await recordTransaction(id(5), 1);
    assert.equal(await transactionProcessed(id(5)), true, "recorded after the newest was known");
    assert.equal(await transactionProcessed(id(3)), false, "below the newest, never recorded");
    assert.equal(await transactionProcessed(id(6)), false);
    await recordTransaction(id(5), 1); // sent again
    assert.equal(await transactionProcessed(id(5)), true);
    assert.equal(await transactionProcessed("not-a-number"), false);
  });
});
