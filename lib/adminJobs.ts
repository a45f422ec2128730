// The instance admin's view of the background work: every BullMQ queue with its
// job counts, the jobs running now with their progress, the jobs that failed for
// good (newest first, paged), and running a failed job again or removing it.
// Every function takes the acting user and checks isAdmin itself (lib/admin.ts);
// every change writes an audit line (who, which queue and job; never job data).
import type { Job } from "bullmq";
import { assertAdmin } from "./admin.ts";
import { NotFoundError, ValidationError } from "./errors.ts";
import { newestFailedPage, summarizeJob, type JobSummary } from "./jobSummary.ts";
import { logger } from "./log.ts";
import { JOB_STATES, QUEUE, QUEUE_PURPOSE, queue, type QueueName } from "./queue.ts";

const log = logger("web");

export const FAILED_PER_PAGE = 20;
const ACTIVE_PER_QUEUE = 50;
/** "Retry all" takes at most this many at once (the rest stay failed for another click). */
const RETRY_ALL_MAX = 5000;
/** BullMQ waits for Redis forever (maxRetriesPerRequest: null); the page must not. */
const REDIS_TIMEOUT_MS = 10_000;

export interface QueueCounts {
  name: QueueName;
  purpose: string;
  counts: Record<(typeof JOB_STATES)[number], number>;
  /** Nothing in Livehouse pauses a queue, but an operator may have; its jobs then wait (counted as waiting). */
  paused: boolean;
}

export interface JobBoard {
  queues: QueueCounts[];
  active: JobSummary[];
  failed: { jobs: JobSummary[]; total: number; page: number; pages: number; perPage: number };
}

export class RedisUnavailableError extends Error {}

function inTime<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisUnavailableError(`Redis did not answer within ${REDIS_TIMEOUT_MS / 1000} s.`)), REDIS_TIMEOUT_MS);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

const queueNames = () => Object.values(QUEUE) as QueueName[];

/** A queue named by a request: one of QUEUE, else "not found". */
export function queueNamed(raw: unknown): QueueName {
  const name = queueNames().find((q) => q === raw);
  if (!name) throw new NotFoundError("No such queue");
  return name;
}

function jobIdFrom(raw: unknown): string {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > 200 || /[\0-\x1f]/.test(raw)) throw new NotFoundError("Job not found");
  return raw;
}

/** Everything the job page shows; `page` is the failed jobs' page (1-based, clamped). */
export async function jobBoard(actingUserId: string, page = 1, perPage = FAILED_PER_PAGE): Promise<JobBoard> {
  await assertAdmin(actingUserId);
  return inTime(
    (async () => {
      const names = queueNames();
      const queues = await Promise.all(
        names.map(async (name): Promise<QueueCounts> => {
          const q = queue(name);
          const [counts, paused] = await Promise.all([q.getJobCounts(...JOB_STATES), q.isPaused()]);
          const byState = Object.fromEntries(JOB_STATES.map((s) => [s, counts[s] ?? 0])) as QueueCounts["counts"];
          return { name, purpose: QUEUE_PURPOSE[name], counts: byState, paused };
        }),
      );
      const total = queues.reduce((n, q) => n + q.counts.failed, 0);
      const pages = Math.max(1, Math.ceil(total / perPage));
      const current = Math.min(Math.max(1, Math.floor(page) || 1), pages);
      // Each queue's failed set is ordered by when the job failed: the newest
      // `current * perPage` of each hold the page wherever its jobs come from.
      const [failedLists, activeLists] = await Promise.all([
        Promise.all(names.map(async (name) => summaries(name, await queue(name).getFailed(0, current * perPage - 1)))),
        Promise.all(names.map(async (name) => summaries(name, await queue(name).getActive(0, ACTIVE_PER_QUEUE - 1)))),
      ]);
      return {
        queues,
        active: activeLists.flat().sort((a, b) => (a.startedAt ?? 0) - (b.startedAt ?? 0)),
        failed: { jobs: newestFailedPage(failedLists, current, perPage), total, page: current, pages, perPage },
      };
    })(),
  );
}

// getFailed/getActive can return null for a job removed while they read.
function summaries(name: QueueName, jobs: (Job | null | undefined)[]): JobSummary[] {
  return jobs.filter((j): j is Job => Boolean(j)).map((j) => summarizeJob(name, j));
}

async function failedJob(queueName: unknown, jobId: unknown): Promise<{ name: QueueName; job: Job }> {
  const name = queueNamed(queueName);
  const job = await inTime(queue(name).getJob(jobIdFrom(jobId)));
  if (!job) throw new NotFoundError("Job not found. It may have been retried or removed already.");
  const state = await job.getState();
  if (state !== "failed") throw new ValidationError({ "": `This job is ${state}, not failed: only failed jobs can be retried or removed here.` });
  return { name, job };
}

async function rerun(job: Job): Promise<void> {
  // A fresh set of attempts with the job's own backoff, as when it was first queued:
  // the admin retries once the cause is fixed.
  await job.retry("failed", { resetAttemptsMade: true, resetAttemptsStarted: true });
}

/** Runs one failed job again. */
export async function retryJob(actingUserId: string, queueName: unknown, jobId: unknown): Promise<void> {
  await assertAdmin(actingUserId);
  const { name, job } = await failedJob(queueName, jobId);
  try {
    await rerun(job);
  } catch (err) {
    throw new ValidationError({ "": `Could not retry this job: ${(err as Error).message.split("\n")[0]}` });
  }
  log.info("admin retried a failed job", { admin: actingUserId, queue: name, job: job.id, jobName: job.name });
}

/** Runs every job of one queue that had failed when asked again; returns how many. */
export async function retryAllFailed(actingUserId: string, queueName: unknown): Promise<number> {
  await assertAdmin(actingUserId);
  const name = queueNamed(queueName);
  const q = queue(name);
  // The list first, then the retries: a job that fails again at once is not run twice.
  const jobs: Job[] = [];
  for (let start = 0; jobs.length < RETRY_ALL_MAX; start += 500) {
    const batch = (await inTime(q.getFailed(start, start + 499))).filter((j): j is Job => Boolean(j));
    jobs.push(...batch);
    if (batch.length < 500) break;
  }
  let retried = 0;
  for (const job of jobs.slice(0, RETRY_ALL_MAX)) {
    // One that was retried or removed meanwhile is simply not failed any more.
    if (await rerun(job).then(() => true, () => false)) retried++;
  }
  log.info("admin retried all failed jobs of a queue", { admin: actingUserId, queue: name, retried });
  return retried;
}

/** Deletes one failed job (its data and failure) for good. */
export async function removeJob(actingUserId: string, queueName: unknown, jobId: unknown): Promise<void> {
  await assertAdmin(actingUserId);
  const { name, job } = await failedJob(queueName, jobId);
  try {
    await job.remove();
  } catch (err) {
    throw new ValidationError({ "": `Could not remove this job: ${(err as Error).message.split("\n")[0]}` });
  }
  log.info("admin removed a failed job", { admin: actingUserId, queue: name, job: job.id, jobName: job.name });
}
