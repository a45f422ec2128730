// BullMQ queues shared by every role. Job data carries ids only — never a stream key.
import { Queue, type ConnectionOptions } from "bullmq";
import { config } from "./config.ts";

export const QUEUE = {
  /** One job per publisher connection (live part): runs its ffmpeg for as long as it publishes. */
  transcode: "live-transcode",
  /** Short jobs that move live sessions along: grace expiry, playlist finalisation. */
  control: "live-control",
  /** Keeps a reconnecting session's playlists advancing with "be right back" segments. */
  slate: "live-slate",
  /** Builds the single MP4, poster and thumbnails of a replay. */
  export: "replay-export",
  /** Work for the Matrix appservice: create/sync a channel's room, post notices. */
  chat: "chat",
  /** Webhooks: an event fanned out to the channel's webhooks, and each delivery (with retries). */
  webhooks: "webhooks",
} as const;

export type QueueName = (typeof QUEUE)[keyof typeof QUEUE];

/** What each queue is for, in the words the admin's job page shows. */
export const QUEUE_PURPOSE: Record<QueueName, string> = {
  [QUEUE.transcode]: "Live transcodes, one per publisher connection",
  [QUEUE.control]: "Live-session upkeep: grace expiry, closing playlists, media purges, the stale-session and storage sweeps",
  [QUEUE.slate]: "\"Be right back\" segments while a publisher reconnects",
  [QUEUE.export]: "Replay MP4, poster and thumbnails",
  [QUEUE.chat]: "Chat rooms and notices (the Matrix appservice)",
  [QUEUE.webhooks]: "Webhook events and their deliveries, with retries",
};

/** The job states the metrics and the admin's job page count, per queue. */
export const JOB_STATES = ["waiting", "active", "delayed", "failed", "completed"] as const;

export interface TranscodeJob {
  partId: string;
}

export interface SlateJob {
  sessionId: string;
  partIndex: number;
}

export interface ExportJob {
  replayId: string;
}

export type ChatNoticeKind = "live" | "reconnecting" | "resumed" | "ended" | "replay-ready";

export type ChatJob =
  | { kind: "sync-room"; channelId: string }
  | { kind: "close-room"; roomId: string; title: string }
  /** `ref` names the occasion (session, part or replay), so a retried producer posts one notice. */
  | { kind: "notice"; channelId: string; notice: ChatNoticeKind; ref: string; replayId?: string };

/** An event as its source saw it; the fan-out adds the channel and makes one delivery per webhook. */
export interface WebhookEventJob {
  id: string;
  type: string;
  /** ISO 8601, when it happened. */
  timestamp: string;
  channelId: string;
  data: Record<string, unknown>;
}

export type WebhookJob = { kind: "fanout"; event: WebhookEventJob } | { kind: "deliver"; deliveryId: string };

/** Attempts per delivery, the first after 0 s and then 5 s, 10 s, 20 s … doubling: the last about 2.8 hours after the first. */
export const WEBHOOK_DELIVERY_ATTEMPTS = 12;
export const WEBHOOK_RETRY_BASE_MS = 5000;

export type ControlJob =
  | { kind: "grace-expired"; sessionId: string; partIndex: number }
  | { kind: "finalize"; sessionId: string }
  /** Media of sessions whose rows are gone (a deleted channel or account): live, replay, export, thumbnails. */
  | { kind: "purge-media"; sessionIds: string[]; ref: string }
  | { kind: "sweep" }
  /** Replay retention and the media budget (workers/storageSweep.ts). */
  | { kind: "storage-sweep" };

export function bullConnection(): ConnectionOptions {
  const url = new URL(config.redisUrl);
  return {
    host: url.hostname,
    port: Number(url.port || 6379),
    username: url.username || undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : undefined,
    // Workers block on Redis; BullMQ requires unlimited retries for them.
    maxRetriesPerRequest: null,
  };
}

export const bullPrefix = () => `${config.redisPrefix}bull`;

const globalForQueues = globalThis as unknown as { livehouseQueues?: Map<string, Queue> };

export function queue(name: QueueName): Queue {
  globalForQueues.livehouseQueues ??= new Map();
  let q = globalForQueues.livehouseQueues.get(name);
  if (!q) {
    q = new Queue(name, { connection: bullConnection(), prefix: bullPrefix() });
    globalForQueues.livehouseQueues.set(name, q);
  }
  return q;
}

export async function closeQueues(): Promise<void> {
  for (const q of globalForQueues.livehouseQueues?.values() ?? []) await q.close();
  globalForQueues.livehouseQueues?.clear();
}

/** One transcode job per part, whoever queues it (a repeat is a no-op). */
export const transcodeJobId = (partId: string) => `transcode-${partId}`;

export async function enqueueTranscode(partId: string): Promise<void> {
  await queue(QUEUE.transcode).add("transcode", { partId } satisfies TranscodeJob, {
    jobId: transcodeJobId(partId),
    // ffmpeg dying is retried quickly and visibly; a part that truly ended completes the job.
    attempts: 50,
    backoff: { type: "fixed", delay: 1000 },
    removeOnComplete: { age: 86400 },
    removeOnFail: { age: 7 * 86400 },
  });
}

/** How often the sweep runs; it also takes each live session's statistics sample (lib/stats/sessionStats.ts). */
export const SWEEP_EVERY_MS = 15_000;

/** Every worker declares the same scheduler; BullMQ keeps one. */
export async function scheduleSweep(everyMs = SWEEP_EVERY_MS, storageEveryMs = 60_000): Promise<void> {
  await queue(QUEUE.control).upsertJobScheduler("sweep-stale-sessions", { every: everyMs }, { name: "sweep", data: { kind: "sweep" } satisfies ControlJob });
  await queue(QUEUE.control).upsertJobScheduler("sweep-storage", { every: storageEveryMs }, { name: "storage-sweep", data: { kind: "storage-sweep" } satisfies ControlJob });
}

export async function enqueueControl(job: Exclude<ControlJob, { kind: "sweep" } | { kind: "storage-sweep" }>, delayMs = 0): Promise<void> {
  const jobId = job.kind === "grace-expired" ? `grace-${job.sessionId}-${job.partIndex}` : job.kind === "purge-media" ? `purge-${job.ref}` : `finalize-${job.sessionId}`;
  await queue(QUEUE.control).add(job.kind, job, {
    jobId,
    delay: delayMs,
    attempts: 100,
    backoff: { type: "fixed", delay: 1000 },
    removeOnComplete: { age: 86400 },
    removeOnFail: { age: 7 * 86400 },
  });
}

const longJob = {
  removeOnComplete: { age: 86400 },
  removeOnFail: { age: 7 * 86400 },
} as const;

export async function enqueueSlate(job: SlateJob): Promise<void> {
  await queue(QUEUE.slate).add("slate", job, { jobId: `slate-${job.sessionId}-${job.partIndex}`, attempts: 20, backoff: { type: "fixed", delay: 500 }, ...longJob });
}

export async function enqueueExport(replayId: string): Promise<void> {
  await queue(QUEUE.export).add("export", { replayId } satisfies ExportJob, {
    jobId: `export-${replayId}`,
    attempts: 5,
    backoff: { type: "exponential", delay: 2000 },
    ...longJob,
  });
}

/** Chat jobs are small and idempotent; the appservice retries until the homeserver takes them. */
export async function enqueueChat(job: ChatJob): Promise<void> {
  const jobId =
    job.kind === "sync-room"
      ? undefined // each change of the channel syncs again
      : job.kind === "notice"
        ? `notice-${job.channelId}-${job.notice}-${job.ref}`
        : `close-${job.roomId}`;
  await queue(QUEUE.chat).add(job.kind, job, {
    jobId,
    attempts: 30,
    backoff: { type: "exponential", delay: 1000 },
    removeOnComplete: { age: 3600 },
    removeOnFail: { age: 7 * 86400 },
  });
}

/** One fan-out per event (a repeated emission is a no-op), one job per delivery. */
export async function enqueueWebhook(job: WebhookJob): Promise<void> {
  const deliver = job.kind === "deliver";
  await queue(QUEUE.webhooks).add(job.kind, job, {
    jobId: deliver ? `webhook-delivery-${job.deliveryId}` : `webhook-event-${job.event.id}`,
    attempts: deliver ? WEBHOOK_DELIVERY_ATTEMPTS : 20,
    backoff: { type: "exponential", delay: deliver ? WEBHOOK_RETRY_BASE_MS : 1000 },
    removeOnComplete: { age: 86400 },
    removeOnFail: { age: 7 * 86400 },
  });
}
