// A channel's webhooks as its owner manages them: every function takes the acting
// user's id and filters by ownership in the same query (as lib/channels.ts does).
import { randomUUID } from "node:crypto";
import { newBearerToken, secretHint } from "../bearerTokens.ts";
import { getOwnedChannel, isUuid } from "../channels.ts";
import { db } from "../db.ts";
import { LimitError, NotFoundError, ValidationError } from "../errors.ts";
import { enqueueWebhook } from "../queue.ts";
import { DestinationRefused, checkDestination, parseDestination } from "./destination.ts";
import { TEST_EVENT, WEBHOOK_EVENT_NAMES, WEBHOOK_SECRET_PREFIX, isWebhookEventType, type WebhookEventType } from "./eventTypes.ts";
import { eventBody } from "./events.ts";

export const MAX_WEBHOOKS_PER_CHANNEL = 10;
/** After a rotation the previous secret keeps signing this long, so receivers can switch without losing events. */
export const PREVIOUS_SECRET_GRACE_MS = 24 * 3600_000;
const DELIVERY_LOG_LIMIT = 50;

const listing = { id: true, channelId: true, url: true, events: true, enabled: true, secret: true, previousSecretUntil: true, createdAt: true } as const;

type Row = { id: string; channelId: string; url: string; events: string[]; enabled: boolean; secret: string; previousSecretUntil: Date | null; createdAt: Date };

/** What the dashboard and the API show of a webhook: never its secret, only a hint of it. */
function shown(row: Row) {
  const { secret, previousSecretUntil, ...rest } = row;
  const previousActive = previousSecretUntil !== null && previousSecretUntil.getTime() > Date.now();
  return { ...rest, secretHint: secretHint(secret, WEBHOOK_SECRET_PREFIX), previousSecretUntil: previousActive ? previousSecretUntil : null };
}

const newSecret = () => WEBHOOK_SECRET_PREFIX + newBearerToken();

function parseEvents(raw: unknown): WebhookEventType[] {
  if (!Array.isArray(raw) || raw.length === 0) throw new ValidationError({ events: "Choose at least one event." });
  const unknown = raw.find((e) => !isWebhookEventType(e));
  if (unknown !== undefined) throw new ValidationError({ events: `Unknown event ${JSON.stringify(unknown)}. Events: ${WEBHOOK_EVENT_NAMES.join(", ")}.` });
  return WEBHOOK_EVENT_NAMES.filter((e) => raw.includes(e));
}

async function validUrl(raw: unknown): Promise<string> {
  try {
    const url = parseDestination(raw);
    await checkDestination(url);
    return url.toString();
  } catch (err) {
    if (err instanceof DestinationRefused) throw new ValidationError({ url: err.message });
    throw err;
  }
}

async function ownedWebhook(userId: string, webhookId: string) {
  if (!isUuid(webhookId)) throw new NotFoundError("Webhook not found");
  const row = await db().webhook.findFirst({ where: { id: webhookId, channel: { ownerId: userId } } });
  if (!row) throw new NotFoundError("Webhook not found");
  return row;
}

export async function listWebhooks(userId: string, channelId: string) {
  await getOwnedChannel(userId, channelId);
  const rows = await db().webhook.findMany({ where: { channelId }, orderBy: { createdAt: "asc" }, select: listing });
  return rows.map(shown);
}

/** Returns the signing secret: the only time it is shown (rotating makes a new one). */
export async function createWebhook(userId: string, channelId: string, input: { url?: unknown; events?: unknown }) {
  await getOwnedChannel(userId, channelId);
  const events = parseEvents(input.events);
  const url = await validUrl(input.url);
  if ((await db().webhook.count({ where: { channelId } })) >= MAX_WEBHOOKS_PER_CHANNEL) {
    throw new LimitError(`A channel can have at most ${MAX_WEBHOOKS_PER_CHANNEL} webhooks. Delete one first.`);
  }
  const secret = newSecret();
  const row = await db().webhook.create({ data: { channelId, url, events, secret }, select: listing });
  return { ...shown(row), secret };
}

export async function updateWebhook(userId: string, webhookId: string, input: { url?: unknown; events?: unknown; enabled?: unknown }) {
  const hook = await ownedWebhook(userId, webhookId);
  const data: { url?: string; events?: WebhookEventType[]; enabled?: boolean } = {};
  if (input.events !== undefined) data.events = parseEvents(input.events);
  if (input.url !== undefined) data.url = await validUrl(input.url);
  if (input.enabled !== undefined) {
    if (typeof input.enabled !== "boolean") throw new ValidationError({ enabled: "enabled must be true or false." });
    data.enabled = input.enabled;
  }
  return shown(await db().webhook.update({ where: { id: hook.id }, data, select: listing }));
}

export async function deleteWebhook(userId: string, webhookId: string): Promise<void> {
  const hook = await ownedWebhook(userId, webhookId);
  await db().webhook.delete({ where: { id: hook.id } });
}

/** A new signing secret, shown once; the previous one keeps signing beside it for a day. */
export async function rotateWebhookSecret(userId: string, webhookId: string) {
  const hook = await ownedWebhook(userId, webhookId);
  const secret = newSecret();
  const row = await db().webhook.update({
    where: { id: hook.id },
    data: { secret, previousSecret: hook.secret, previousSecretUntil: new Date(Date.now() + PREVIOUS_SECRET_GRACE_MS) },
    select: listing,
  });
  return { ...shown(row), secret };
}

const deliveryListing = {
  id: true,
  eventId: true,
  eventType: true,
  body: true,
  status: true,
  attempts: true,
  responseStatus: true,
  durationMs: true,
  responseSnippet: true,
  error: true,
  redelivery: true,
  createdAt: true,
  lastAttemptAt: true,
} as const;

/** The webhook's latest deliveries, newest first. */
export async function listDeliveries(userId: string, webhookId: string) {
  const hook = await ownedWebhook(userId, webhookId);
  return db().webhookDelivery.findMany({ where: { webhookId: hook.id }, orderBy: { createdAt: "desc" }, take: DELIVERY_LOG_LIMIT, select: deliveryListing });
}

async function queueDelivery(data: { webhookId: string; eventId: string; eventType: string; body: string; redelivery: boolean }) {
  const row = await db().webhookDelivery.create({ data: { id: randomUUID(), ...data }, select: deliveryListing });
  try {
    await enqueueWebhook({ kind: "deliver", deliveryId: row.id });
  } catch (err) {
    await db().webhookDelivery.update({ where: { id: row.id }, data: { status: "failed", error: "Could not be queued. Try again." } });
    throw err;
  }
  return row;
}

/** "Send again": the same event (same id and body) as a new delivery, freshly signed. */
export async function resendDelivery(userId: string, deliveryId: string) {
  if (!isUuid(deliveryId)) throw new NotFoundError("Delivery not found");
  const d = await db().webhookDelivery.findFirst({ where: { id: deliveryId, webhook: { channel: { ownerId: userId } } } });
  if (!d) throw new NotFoundError("Delivery not found");
  return queueDelivery({ webhookId: d.webhookId, eventId: d.eventId, eventType: d.eventType, body: d.body, redelivery: true });
}

/** A `webhook.test` event to this webhook only (also when it is paused). */
export async function sendTestEvent(userId: string, webhookId: string) {
  const hook = await ownedWebhook(userId, webhookId);
  const channel = await getOwnedChannel(userId, hook.channelId);
  const event = { id: randomUUID(), type: TEST_EVENT, timestamp: new Date().toISOString(), channelId: channel.id, data: { message: "A test event from Livehouse.", webhookId: hook.id } };
  return queueDelivery({ webhookId: hook.id, eventId: event.id, eventType: TEST_EVENT, body: eventBody(event, channel), redelivery: false });
}
