// The periodic storage sweep (every worker schedules it; BullMQ runs one at a
// time): deletes replays past their channel's retention, then the oldest replays
// while the media store is over its budget (lib/media/retention.ts decides), and
// records what the store holds for the dashboards.
import { config } from "../lib/config.ts";
import { db } from "../lib/db.ts";
import { logger } from "../lib/log.ts";
import { liveKey } from "../lib/media/layout.ts";
import { planRetention, type ReplayUsage } from "../lib/media/retention.ts";
import { writeStorageUsage } from "../lib/media/storageHealth.ts";
import type { MediaStore } from "../lib/media/store.ts";
import { COUNTER, count } from "../lib/metrics.ts";
import { measureReplay, removeReplay } from "../lib/replays.ts";

const log = logger("worker");

export async function storageSweep(store: MediaStore, now = new Date()): Promise<{ expired: number; overBudget: number }> {
  const rows = await db().replay.findMany({
    select: { id: true, sessionId: true, createdAt: true, storageBytes: true, channel: { select: { replayRetentionDays: true } } },
  });
  const replays: ReplayUsage[] = [];
  for (const r of rows) {
    // Replays made before sizes were recorded are measured once.
    const bytes = r.storageBytes === null ? await measureReplay(r.id, r.sessionId, store) : Number(r.storageBytes);
    replays.push({ id: r.id, createdAt: r.createdAt, bytes, retentionDays: r.channel.replayRetentionDays });
  }
  // Media of sessions that are not replays (yet): live now, or ended and being finished.
  const others = await db().liveSession.findMany({ where: { replay: null }, select: { id: true } });
  let liveBytes = 0;
  for (const s of others) liveBytes += (await store.list(liveKey(s.id))).reduce((sum, o) => sum + o.size, 0);

  const plan = planRetention({ replays, liveBytes, now, instanceDays: config.replayRetentionDays, budgetBytes: config.mediaBudgetBytes });
  for (const id of plan.expired) {
    if (await removeReplay(id, store)) {
      log.info("replay deleted: past its retention", { replay: id });
      void count(COUNTER.replaysDeleted, { reason: "retention" });
    }
  }
  for (const id of plan.overBudget) {
    if (await removeReplay(id, store)) {
      log.warn("replay deleted: the media store is over its budget (oldest first)", { replay: id, budgetGb: config.mediaBudgetBytes / 1e9 });
      void count(COUNTER.replaysDeleted, { reason: "budget" });
    }
  }
  if (plan.stillOver) log.warn("live media alone is over the media budget; nothing more can be deleted", { usageGb: (plan.usageAfter / 1e9).toFixed(2), budgetGb: config.mediaBudgetBytes / 1e9 });
  await writeStorageUsage({ bytes: plan.usageAfter, liveBytes, replays: replays.length - plan.expired.length - plan.overBudget.length, budgetBytes: config.mediaBudgetBytes, at: now.getTime() });
  return { expired: plan.expired.length, overBudget: plan.overBudget.length };
}
