// BullMQ queues shared by every role. Job data carries ids only — never a stream key.
import { Queue, type ConnectionOptions } from "bullmq";
import { config } from "./config.ts";

export const QUEUE = {
  /** One job per publisher connection (live part): runs its ffmpeg for as long as it publishes. */
  transcode: "live-transcode",
  /** Short jobs that move live sessions along: grace expiry, playlist finalisation. */
  control: "live-control",
} as const;

export interface TranscodeJob {
  partId: string;
}

export type ControlJob =
  | { kind: "grace-expired"; sessionId: string; partIndex: number }
  | { kind: "finalize"; sessionId: string };

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

export function queue(name: (typeof QUEUE)[keyof typeof QUEUE]): Queue {
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

export async function enqueueTranscode(partId: string): Promise<void> {
  await queue(QUEUE.transcode).add("transcode", { partId } satisfies TranscodeJob, {
    jobId: `transcode-${partId}`,
    // ffmpeg dying is retried quickly and visibly; a part that truly ended completes the job.
    attempts: 50,
    backoff: { type: "fixed", delay: 1000 },
    removeOnComplete: { age: 86400 },
    removeOnFail: { age: 7 * 86400 },
  });
}

export async function enqueueControl(job: ControlJob, delayMs = 0): Promise<void> {
  const jobId = job.kind === "grace-expired" ? `grace-${job.sessionId}-${job.partIndex}` : `finalize-${job.sessionId}`;
  await queue(QUEUE.control).add(job.kind, job, {
    jobId,
    delay: delayMs,
    attempts: 100,
    backoff: { type: "fixed", delay: 1000 },
    removeOnComplete: { age: 86400 },
    removeOnFail: { age: 7 * 86400 },
  });
}
