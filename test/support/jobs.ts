// BullMQ jobs for the admin job page's tests: a control job that fails for real
// in the stack's workers role, and its state as BullMQ reports it.
import type { Job } from "bullmq";
import { QUEUE, queue } from "../../lib/queue.ts";
import { uniq } from "./fixtures.ts";
import { waitFor } from "./live.ts";

export const control = () => queue(QUEUE.control);

/** Between the two attempts of a failing job: a window in which a retried job is queued, not failed. */
export const FAILING_BACKOFF_MS = 5000;

/**
 * A "finalize" job (the shape enqueueControl gives it) for a session id that is
 * not a UUID: PostgreSQL refuses the query on every attempt, so it can never
 * succeed. Two attempts instead of enqueueControl's hundred, so it fails for good
 * within seconds.
 */
export async function failingControlJob(tag: string, backoffMs = FAILING_BACKOFF_MS): Promise<{ id: string; sessionId: string }> {
  const sessionId = `not-a-session-${tag}-${uniq()}`;
  const id = `test-admin-jobs-${tag}-${uniq()}`;
  await control().add("finalize", { kind: "finalize", sessionId }, { jobId: id, attempts: 2, backoff: { type: "fixed", delay: backoffMs }, removeOnFail: { age: 3600 } });
  return { id, sessionId };
}

/** The control job's state, or "gone" when it no longer exists. */
export async function controlJobState(id: string): Promise<string> {
  const job = await control().getJob(id);
  return job ? await job.getState() : "gone";
}

export function controlJobFailed(id: string): Promise<Job> {
  return waitFor(`job ${id} to fail for good`, async () => ((await controlJobState(id)) === "failed" ? ((await control().getJob(id)) as Job) : null), 90_000, 300);
}
