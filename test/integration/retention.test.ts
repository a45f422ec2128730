// Replay retention and the media budget, as the workers' storage sweep applies
// them to real replays in the real media store: expired replays go (rows and
// files), over budget the oldest go first, live media is never touched, and the
// owner sees each replay's size and deletion date.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { updateChannel } from "../../lib/channels.ts";
import { db } from "../../lib/db.ts";
import { MEDIA_KEY, liveKey } from "../../lib/media/layout.ts";
import { readStorageUsage } from "../../lib/media/storageHealth.ts";
import { mediaStore } from "../../lib/media/store.ts";
import { closeQueues } from "../../lib/queue.ts";
import { storageSweep } from "../../workers/storageSweep.ts";
import { closeBrowserAfter, pageAs } from "../support/browser.ts";
import { closeConnectionsAfter } from "../support/env.ts";
import { makeChannel, makeUser } from "../support/fixtures.ts";
import { api } from "../support/http.ts";

closeConnectionsAfter();
closeBrowserAfter();
after(() => closeQueues());

const DAY = 86_400_000;
const scratch = mkdtempSync(path.join(os.tmpdir(), "lh-retention-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A replay `daysOld` days old whose media is `bytes` of segments (plus its playlist), published through the store. */
async function replayOf(channelId: string, daysOld: number, bytes: number, status: "ended" | "live" = "ended") {
  const startedAt = new Date(Date.now() - daysOld * DAY);
  const session = await db().liveSession.create({ data: { channelId, status, ladder: "360p30@800k", segmentSeconds: 1, startedAt, endedAt: status === "ended" ? startedAt : null } });
  const store = mediaStore();
  const file = path.join(scratch, randomBytes(4).toString("hex"));
  writeFileSync(file, randomBytes(bytes));
  await store.putFile(MEDIA_KEY.segment(session.id, "360p30", "p0e1-000000.ts"), file);
  await store.putText(MEDIA_KEY.vodMaster(session.id), "#EXTM3U\n");
  if (status === "live") return { session, replay: null };
  const replay = await db().replay.create({ data: { sessionId: session.id, channelId, title: `${daysOld} days old`, durationSeconds: 1, createdAt: startedAt } });
  return { session, replay };
}

async function exists(sessionId: string): Promise<boolean> {
  return (await mediaStore().list(liveKey(sessionId))).length > 0;
}

describe("replay retention and the media budget", () => {
  const savedBudget = process.env.MEDIA_BUDGET_GB;
  after(() => {
    if (savedBudget === undefined) delete process.env.MEDIA_BUDGET_GB;
    else process.env.MEDIA_BUDGET_GB = savedBudget;
  });

  it("deletes replays past their channel's retention, rows and files, and keeps the others; the owner sees sizes and dates", async () => {
    const owner = await makeUser("retention");
    const c = await makeChannel(owner);
    await updateChannel(owner.id, c.id, { slug: c.slug, title: c.title, reconnectGraceMinutes: "5", keepReplays: "on", replayRetentionDays: "7" });
    const old = await replayOf(c.id, 10, 20_000);
    const recent = await replayOf(c.id, 1, 30_000);

    const list = await api("GET", `/api/channels/${c.id}/replays`, { cookie: owner.cookie });
    const listed = list.json().replays as { id: string; expiresAt: string | null; storageBytes: number | null }[];
    assert.equal(listed.length, 2);
    const recentRow = listed.find((r) => r.id === recent.replay!.id)!;
    assert.equal(new Date(recentRow.expiresAt!).getTime(), recent.replay!.createdAt.getTime() + 7 * DAY);

    await storageSweep(mediaStore());
    assert.equal(await db().replay.count({ where: { id: old.replay!.id } }), 0, "the 10-day-old replay is deleted");
    assert.equal(await exists(old.session.id), false, "and its files");
    assert.equal(await db().replay.count({ where: { id: recent.replay!.id } }), 1, "the 1-day-old replay stays");
    assert.equal(await exists(recent.session.id), true);
    const measured = await db().replay.findUniqueOrThrow({ where: { id: recent.replay!.id } });
    assert.equal(Number(measured.storageBytes), 30_000 + "#EXTM3U\n".length, "its size is measured from the store");

    const { page, context } = await pageAs(owner);
    await page.goto("/dashboard");
    const row = page.getByTestId("replay-row").filter({ hasText: "1 days old" });
    assert.match(await row.getByTestId("replay-size").innerText(), /30 kB stored/);
    assert.match(await row.getByTestId("replay-expires").innerText(), /deleted \d{4}-\d\d-\d\d/);
    await context.close();
  });

  it("over the budget, the oldest replays go first until the store fits; live media is counted but never deleted", async () => {
    const owner = await makeUser("budget");
    const c = await makeChannel(owner);
    // Older than anything else in the suite's store, so they are the oldest there.
    const oldest = await replayOf(c.id, 400, 2_000_000);
    const older = await replayOf(c.id, 300, 2_000_000);
    const newer = await replayOf(c.id, 200, 2_000_000);
    const live = await replayOf(c.id, 0, 3_000_000, "live");
    delete process.env.MEDIA_BUDGET_GB;
    await storageSweep(mediaStore());
    const usage = (await readStorageUsage())!;
    assert.ok(usage.liveBytes >= 3_000_000, "live media is counted");

    // A budget that fits everything but the oldest replay (with half a replay of slack for the rest of the suite's media).
    process.env.MEDIA_BUDGET_GB = String((usage.bytes - 2_000_000 + 1_000_000) / 1e9);
    const swept = await storageSweep(mediaStore());
    assert.equal(swept.overBudget, 1);
    assert.equal(await db().replay.count({ where: { id: oldest.replay!.id } }), 0, "the oldest replay went");
    assert.equal(await exists(oldest.session.id), false);
    for (const kept of [older, newer]) {
      assert.equal(await db().replay.count({ where: { id: kept.replay!.id } }), 1);
      assert.equal(await exists(kept.session.id), true);
    }
    assert.equal(await exists(live.session.id), true, "live media stays");
    const after = (await readStorageUsage())!;
    assert.ok(after.bytes <= after.budgetBytes, `${after.bytes} bytes within the budget of ${after.budgetBytes}`);
  });
});
