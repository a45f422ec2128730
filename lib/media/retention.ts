// Which replays go when: each channel's retention (its own, or the instance's
// REPLAY_RETENTION_DAYS), then the media budget (MEDIA_BUDGET_GB) with the oldest
// replays removed first. Live sessions are never touched: what a creator is
// streaming now is worth more than any replay. Pure; workers/storageSweep.ts
// applies it.

export interface ReplayUsage {
  id: string;
  createdAt: Date;
  /** Bytes it keeps in the store. */
  bytes: number;
  /** The channel's own setting: null for the instance default, 0 for forever. */
  retentionDays: number | null;
}

export interface RetentionPlan {
  /** Past their retention. */
  expired: string[];
  /** Oldest first, until the store fits its budget. */
  overBudget: string[];
  /** Bytes in the store after both (replays kept + live media). */
  usageAfter: number;
  /** Still over the budget with no replay left to delete (live media alone exceeds it). */
  stillOver: boolean;
}

const DAY_MS = 86_400_000;

/** The day a replay is deleted by retention, or null when it is kept for good. */
export function expiresAt(createdAt: Date, retentionDays: number | null, instanceDays: number): Date | null {
  const days = retentionDays ?? instanceDays;
  return days > 0 ? new Date(createdAt.getTime() + days * DAY_MS) : null;
}

export function planRetention(input: { replays: ReplayUsage[]; liveBytes: number; now: Date; instanceDays: number; budgetBytes: number }): RetentionPlan {
  const expired: string[] = [];
  const kept: ReplayUsage[] = [];
  for (const r of input.replays) {
    const until = expiresAt(r.createdAt, r.retentionDays, input.instanceDays);
    if (until && until.getTime() <= input.now.getTime()) expired.push(r.id);
    else kept.push(r);
  }
  let usage = input.liveBytes + kept.reduce((sum, r) => sum + r.bytes, 0);
  const overBudget: string[] = [];
  if (input.budgetBytes > 0) {
    const oldestFirst = [...kept].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1));
    for (const r of oldestFirst) {
      if (usage <= input.budgetBytes) break;
      overBudget.push(r.id);
      usage -= r.bytes;
    }
  }
  return { expired, overBudget, usageAfter: usage, stillOver: input.budgetBytes > 0 && usage > input.budgetBytes };
}
