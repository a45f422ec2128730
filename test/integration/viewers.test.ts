// Viewer counting against real Redis: peak and unique while a session counts, a
// per-session salt (the same address hashes differently in two sessions), counting
// that stops at the end, and nothing left of the viewers once they are forgotten.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { config } from "../../lib/config.ts";
import { REDIS_KEY } from "../../lib/redisKeys.ts";
import { redis } from "../../lib/redis.ts";
import { closeViewerCounting, countViewer, currentViewers, forgetViewers, liveViewerFigures } from "../../lib/viewers.ts";
import { closeConnectionsAfter } from "../support/env.ts";

closeConnectionsAfter();

async function sessionKeys(sessionId: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await redis().scan(cursor, "MATCH", `${config.redisPrefix}viewers:${sessionId}*`, "COUNT", 1000);
    cursor = next;
    found.push(...keys.map((k) => k.slice(config.redisPrefix.length)));
  } while (cursor !== "0");
  return found.sort();
}

describe("viewer counting", () => {
  it("counts peak and unique viewers exactly for a small audience, and stops at the end", async () => {
    const s = randomUUID();
    const before = Date.now();
    for (let i = 0; i < 40; i++) await countViewer(s, `viewer-${i}-abcdef`, `127.66.${Math.floor(i / 8)}.${i % 8}`);
    // the same viewers again: not new
    for (let i = 0; i < 40; i += 3) await countViewer(s, `viewer-${i}-abcdef`, `127.66.${Math.floor(i / 8)}.${i % 8}`);
    assert.equal(await currentViewers(s), 40);
    const live = await liveViewerFigures(s);
    assert.equal(live.unique, 40, "HyperLogLog is exact at this size");
    assert.equal(live.peak, 40);
    // Between the first count and now (1 s either side for the stamp's granularity): the time it was reached.
    assert.ok(live.peakAt && live.peakAt.getTime() >= before - 1000 && live.peakAt.getTime() <= Date.now() + 1000, "the peak is stamped with the time it was reached, not left empty");
    // A dashboard poll (no viewer id) counts nobody.
    assert.equal(await countViewer(s, null), 40);
    assert.equal((await liveViewerFigures(s)).unique, 40);

    const closed = await closeViewerCounting(s);
    assert.equal(closed.unique, 40);
    assert.equal(closed.peak, 40);
    await closed.drop();
    // After the end: still shown as watching, no longer counted.
    assert.equal(await countViewer(s, "latecomer-abcdef", "127.66.9.9"), 41);
    assert.deepEqual(await liveViewerFigures(s), { peak: 0, peakAt: null, unique: 0 });
    assert.equal(await redis().exists(REDIS_KEY.viewersUnique(s), REDIS_KEY.viewersPeak(s)), 0, "no counter started again");

    await forgetViewers(s);
    assert.deepEqual(await sessionKeys(s), [REDIS_KEY.viewersClosed(s)], "only the closed mark is left");
    // A heartbeat after that (a WebRTC player not closed yet) makes no salt and no hash.
    await countViewer(s, "straggler-abcdef", "127.66.9.10");
    assert.deepEqual(await sessionKeys(s), [REDIS_KEY.viewersClosed(s)]);
  });

  it("hashes an address with a salt of the session's own: no hash links two sessions, none is the address", async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    await countViewer(a, "same-viewer-id", "127.66.20.1");
    await countViewer(b, "same-viewer-id", "127.66.20.1");
    const [ma] = await redis().zrange(REDIS_KEY.viewers(a), "0", "-1");
    const [mb] = await redis().zrange(REDIS_KEY.viewers(b), "0", "-1");
    assert.match(ma, /^[0-9a-f]{16}:same-viewer-id$/);
    assert.notEqual(ma.split(":")[0], mb.split(":")[0]);
    for (const k of [...(await sessionKeys(a)), ...(await sessionKeys(b))]) assert.ok(!k.includes("127.66"), k);
    const salt = await redis().get(REDIS_KEY.viewersSalt(a));
    assert.match(salt ?? "", /^[0-9a-f]{64}$/);
    assert.ok((await redis().pttl(REDIS_KEY.viewersSalt(a))) > 0, "the salt expires even if the end is never processed");
    for (const s of [a, b]) {
      await closeViewerCounting(s);
      await forgetViewers(s);
    }
    assert.equal(await redis().exists(REDIS_KEY.viewersSalt(a), REDIS_KEY.viewersSalt(b)), 0);
  });
});
