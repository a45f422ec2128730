// Channel and stream-key rules, including authorization of every mutation, on real PostgreSQL.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  MAX_ACTIVE_KEYS_PER_CHANNEL,
  createChannel,
  createStreamKey,
  deleteChannel,
  getOwnedChannel,
  listChannelsWithKeys,
  listStreamKeys,
  revokeStreamKey,
  updateChannel,
} from "../../lib/channels.ts";
import { db } from "../../lib/db.ts";
import { LimitError, NotFoundError, ValidationError } from "../../lib/errors.ts";
import { authenticateStreamKey, hashStreamKey } from "../../lib/streamKeys.ts";
import { closeConnectionsAfter } from "../support/env.ts";
import { makeChannel, makeKey, makeUser, uniq } from "../support/fixtures.ts";

closeConnectionsAfter();

const form = (over: Record<string, string> = {}) => ({
  slug: `show-${uniq()}`,
  title: "My show",
  description: "About it",
  reconnectGraceMinutes: "7",
  ladder: "720p30@2500k|360p30@800k",
  ...over,
});

describe("channels", () => {
  it("creates a channel with its settings, in seconds and normalised", async () => {
    const a = await makeUser("a");
    const c = await createChannel(a.id, form({ slug: `Show-${uniq()}` }));
    assert.equal(c.ownerId, a.id);
    assert.match(c.slug, /^show-/);
    assert.equal(c.reconnectGraceSeconds, 420);
    assert.equal(c.ladder, "720p30@2500k|360p30@800k");
  });

  it("refuses a duplicate slug, an empty title and too-long fields, saving nothing", async () => {
    const a = await makeUser("a");
    const slug = `taken-${uniq()}`;
    await createChannel(a.id, form({ slug }));
    const before = await db().channel.count();
    await assert.rejects(createChannel(a.id, form({ slug })), (e: unknown) => e instanceof ValidationError && /taken/.test(e.fields.slug));
    await assert.rejects(createChannel(a.id, form({ title: "  " })), (e: unknown) => e instanceof ValidationError && "title" in e.fields);
    await assert.rejects(createChannel(a.id, form({ description: "d".repeat(2001) })), ValidationError);
    await assert.rejects(createChannel(a.id, form({ ladder: "720p30@2500k|oops" })), (e: unknown) => e instanceof ValidationError && /rung 2/.test(e.fields.ladder));
    assert.equal(await db().channel.count(), before);
  });

  it("user B can neither read, change nor delete user A's channel", async () => {
    const a = await makeUser("a");
    const b = await makeUser("b");
    const c = await makeChannel(a, "A's channel");
    await assert.rejects(getOwnedChannel(b.id, c.id), NotFoundError);
    await assert.rejects(updateChannel(b.id, c.id, form({ title: "pwned" })), NotFoundError);
    await assert.rejects(deleteChannel(b.id, c.id), NotFoundError);
    const after = await db().channel.findUniqueOrThrow({ where: { id: c.id } });
    assert.equal(after.title, "A's channel");
    assert.ok(!(await listChannelsWithKeys(b.id)).some((x) => x.id === c.id));
    // The owner can.
    assert.equal((await updateChannel(a.id, c.id, form({ title: "Renamed" }))).title, "Renamed");
    await deleteChannel(a.id, c.id);
    assert.equal(await db().channel.count({ where: { id: c.id } }), 0);
  });

  it("an update that would take another channel's slug is refused", async () => {
    const a = await makeUser("a");
    const c1 = await makeChannel(a);
    const c2 = await makeChannel(a);
    await assert.rejects(updateChannel(a.id, c2.id, form({ slug: c1.slug })), (e: unknown) => e instanceof ValidationError && /taken/.test(e.fields.slug));
  });

  it("treats a malformed id as not found rather than erroring", async () => {
    const a = await makeUser("a");
    await assert.rejects(getOwnedChannel(a.id, "../../etc"), NotFoundError);
    await assert.rejects(revokeStreamKey(a.id, "1 OR 1=1"), NotFoundError);
  });
});

describe("stream keys", () => {
  it("stores only a hash; the key authenticates until it is revoked", async () => {
    const a = await makeUser("a");
    const c = await makeChannel(a);
    const created = await makeKey(a, c.id, "OBS at home");
    const row = await db().streamKey.findUniqueOrThrow({ where: { id: created.id } });
    assert.equal(row.keyHash, hashStreamKey(created.key));
    assert.ok(!JSON.stringify(row).includes(created.key));
    assert.equal(row.lastUsedAt, null);

    assert.deepEqual(await authenticateStreamKey(created.key), { keyId: created.id, channelId: c.id });
    assert.ok((await db().streamKey.findUniqueOrThrow({ where: { id: created.id } })).lastUsedAt);

    await revokeStreamKey(a.id, created.id);
    assert.equal(await authenticateStreamKey(created.key), null, "revocation takes effect at once");
    assert.deepEqual(await listStreamKeys(a.id, c.id), []);
  });

  it("refuses unknown and malformed keys", async () => {
    assert.equal(await authenticateStreamKey("lh_live_" + "A".repeat(32)), null);
    assert.equal(await authenticateStreamKey("garbage"), null);
  });

  it("user B can neither list, create nor revoke keys of user A's channel", async () => {
    const a = await makeUser("a");
    const b = await makeUser("b");
    const c = await makeChannel(a);
    const k = await makeKey(a, c.id);
    await assert.rejects(listStreamKeys(b.id, c.id), NotFoundError);
    await assert.rejects(createStreamKey(b.id, c.id, "mine now"), NotFoundError);
    await assert.rejects(revokeStreamKey(b.id, k.id), NotFoundError);
    assert.ok(await authenticateStreamKey(k.key), "A's key still works");
    assert.equal(await db().streamKey.count({ where: { channelId: c.id } }), 1);
  });

  it("needs a label and caps active keys per channel", async () => {
    const a = await makeUser("a");
    const c = await makeChannel(a);
    await assert.rejects(createStreamKey(a.id, c.id, " "), ValidationError);
    await assert.rejects(createStreamKey(a.id, c.id, 42), ValidationError);
    for (let i = 0; i < MAX_ACTIVE_KEYS_PER_CHANNEL; i++) await createStreamKey(a.id, c.id, `k${i}`);
    await assert.rejects(createStreamKey(a.id, c.id, "one too many"), LimitError);
  });

  it("deleting a channel removes its keys", async () => {
    const a = await makeUser("a");
    const c = await makeChannel(a);
    const k = await makeKey(a, c.id);
    await deleteChannel(a.id, c.id);
    assert.equal(await authenticateStreamKey(k.key), null);
  });
});
