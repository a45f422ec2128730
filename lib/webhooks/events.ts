// Emitting a channel event to its webhooks. Called from the one place each
// transition happens (lib/liveSessions.ts, lib/replays.ts, the replay export, the
// appservice's moderation); all it does is queue a fan-out job, and it never
// throws or waits for a receiver: a webhook can neither fail nor slow those paths.
import { createHash } from "node:crypto";
import { config } from "../config.ts";
import { logger } from "../log.ts";
import { enqueueWebhook, type WebhookEventJob } from "../queue.ts";
import type { WebhookEventType } from "./eventTypes.ts";

const log = logger("webhooks");

/** A UUID-shaped digest: stable for the same input, so a repeated emission is the same event. */
export function stableUuid(input: string): string {
  const h = createHash("sha256").update(input).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** `ref` names the occasion (a session, a part, a replay…): the same occasion emitted twice is one event with one id. */
export const webhookEventId = (type: string, ref: string) => stableUuid(`webhook-event|${type}|${ref}`);

/** An absolute link for a payload, when PUBLIC_URL says what this site's address is. */
export function publicLink(path: string): string | null {
  return config.publicUrl ? new URL(path, config.publicUrl).toString() : null;
}

/** Queues the event for the channel's webhooks. Resolves in every case; failures are logged. */
export async function emitWebhookEvent(channelId: string, type: WebhookEventType, ref: string, data: Record<string, unknown>, at = new Date()): Promise<void> {
  const event: WebhookEventJob = { id: webhookEventId(type, ref), type, timestamp: at.toISOString(), channelId, data };
  try {
    await enqueueWebhook({ kind: "fanout", event });
  } catch (err) {
    log.warn("could not queue a webhook event", { type, channelId, error: String(err) });
  }
}

/** The JSON every webhook receives (README "API tokens and webhooks"). */
export function eventBody(event: WebhookEventJob, channel: { id: string; slug: string; title: string }): string {
  return JSON.stringify({
    id: event.id,
    type: event.type,
    timestamp: event.timestamp,
    channel: { id: channel.id, slug: channel.slug, title: channel.title, url: publicLink(`/c/${channel.slug}`) },
    data: event.data,
  });
}
