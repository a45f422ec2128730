// The worker's side of webhooks (workers/webhooks.ts runs these as BullMQ jobs):
// an event becomes one delivery per subscribed webhook, and each delivery is
// attempted, signed, and recorded in the delivery log.
import { db } from "../db.ts";
import { logger } from "../log.ts";
import { COUNTER, count } from "../metrics.ts";
import { enqueueWebhook, type WebhookEventJob } from "../queue.ts";
import { postWebhook, type AttemptResult } from "./deliver.ts";
import { TEST_EVENT } from "./eventTypes.ts";
import { eventBody, stableUuid } from "./events.ts";
import { SIGNATURE_HEADER, signatureHeader } from "./signature.ts";

const log = logger("webhooks");
/** Delivery log rows older than this are removed when the webhook gets new ones. */
const DELIVERY_LOG_DAYS = 30;

/** Makes the event's deliveries (once, however often the job runs) and queues them. Returns how many. */
export async function fanOut(event: WebhookEventJob): Promise<number> {
  const channel = await db().channel.findUnique({
    where: { id: event.channelId },
    select: { id: true, slug: true, title: true, webhooks: { where: { enabled: true, events: { has: event.type } }, select: { id: true } } },
  });
  if (!channel || channel.webhooks.length === 0) return 0;
  const body = eventBody(event, channel);
  const rows = channel.webhooks.map((h) => ({ id: stableUuid(`webhook-delivery|${event.id}|${h.id}`), webhookId: h.id, eventId: event.id, eventType: event.type, body }));
  await db().webhookDelivery.createMany({ data: rows, skipDuplicates: true });
  for (const r of rows) await enqueueWebhook({ kind: "deliver", deliveryId: r.id });
  await db().webhookDelivery.deleteMany({ where: { webhookId: { in: rows.map((r) => r.webhookId) }, createdAt: { lt: new Date(Date.now() - DELIVERY_LOG_DAYS * 86400_000) } } });
  return rows.length;
}

export type DeliveryOutcome = { result: "gone" } | { result: "paused" } | { result: "attempted"; attempt: AttemptResult };

/**
 * One attempt of a delivery (`attempt` counts from 1; `last` when no retry follows a failure).
 * Records it in the delivery log. A delivery of a paused webhook is given up, unless
 * the owner asked for it (test event, send again).
 */
export async function attemptDelivery(deliveryId: string, attempt: number, last: boolean): Promise<DeliveryOutcome> {
  const d = await db().webhookDelivery.findUnique({ where: { id: deliveryId }, include: { webhook: true } });
  if (!d) return { result: "gone" };
  const hook = d.webhook;
  const manual = d.redelivery || d.eventType === TEST_EVENT;
  if (!hook.enabled && !manual) {
    await db().webhookDelivery.update({ where: { id: d.id }, data: { status: "failed", error: "The webhook is paused." } });
    return { result: "paused" };
  }
  const secrets = [hook.secret];
  if (hook.previousSecret && hook.previousSecretUntil && hook.previousSecretUntil.getTime() > Date.now()) secrets.push(hook.previousSecret);
  const r = await postWebhook(hook.url, d.body, {
    "content-type": "application/json",
    "user-agent": "Livehouse-Webhooks/1",
    "x-livehouse-event": d.eventType,
    "x-livehouse-event-id": d.eventId,
    "x-livehouse-delivery": d.id,
    [SIGNATURE_HEADER.toLowerCase()]: signatureHeader(d.body, secrets),
  });
  const status = r.ok ? "succeeded" : r.refused || last ? "failed" : "retrying";
  await db().webhookDelivery.update({
    where: { id: d.id },
    data: { status, attempts: attempt, responseStatus: r.status, durationMs: r.durationMs, responseSnippet: r.snippet || null, error: r.error, lastAttemptAt: new Date() },
  });
  if (r.ok || status === "failed") void count(COUNTER.webhookDeliveries, { result: r.ok ? "succeeded" : "failed" });
  // The URL may carry a receiver's own token in its query: logs name the webhook, not where it points.
  if (status === "failed") log.warn("webhook delivery failed for good", { webhook: hook.id, delivery: d.id, event: d.eventType, attempts: attempt, status: r.status, error: r.refused ? "destination refused" : r.error });
  return { result: "attempted", attempt: r };
}
