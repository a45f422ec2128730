// Webhook jobs for the worker role: fan an event out to the channel's webhooks,
// and attempt each delivery. A failed attempt throws, so BullMQ retries it with
// exponential backoff (lib/queue.ts); a refused destination is not retried.
import { UnrecoverableError, type Job } from "bullmq";
import type { WebhookJob } from "../lib/queue.ts";
import { attemptDelivery, fanOut } from "../lib/webhooks/deliveries.ts";

export async function runWebhookJob(job: Job<WebhookJob>): Promise<string> {
  if (job.data.kind === "fanout") return `${await fanOut(job.data.event)} deliveries`;
  const attempt = job.attemptsMade + 1;
  const outcome = await attemptDelivery(job.data.deliveryId, attempt, attempt >= (job.opts.attempts ?? 1));
  if (outcome.result !== "attempted") return outcome.result;
  const r = outcome.attempt;
  if (r.ok) return `delivered (${r.status})`;
  // The message reaches the worker's log: no URL in it (the delivery log has the details).
  const why = r.status !== null ? `answered ${r.status}` : r.refused ? "destination refused" : "no answer";
  throw r.refused ? new UnrecoverableError(why) : new Error(why);
}
