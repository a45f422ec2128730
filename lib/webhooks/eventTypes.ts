// The events a channel's webhooks can subscribe to. Dependency-free so that the
// dashboard lists exactly what the server sends.

export const WEBHOOK_EVENTS = {
  "stream.started": "A stream went live (a new session)",
  "stream.reconnecting": "The publisher dropped; the reconnect window is open",
  "stream.resumed": "The publisher came back within the window",
  "stream.ended": "The session ended",
  "replay.ready": "The session's replay can be watched",
  "replay.exported": "The replay's MP4, poster and thumbnails are ready",
  "chat.moderation": "A ban, unban, timeout, kick, deleted message or moderator change in the chat",
} as const;

export type WebhookEventType = keyof typeof WEBHOOK_EVENTS;

export const WEBHOOK_EVENT_NAMES = Object.keys(WEBHOOK_EVENTS) as WebhookEventType[];

/** Sent only by "Send test event", to one webhook, whatever it subscribes to. */
export const TEST_EVENT = "webhook.test";

export const isWebhookEventType = (s: unknown): s is WebhookEventType => typeof s === "string" && Object.hasOwn(WEBHOOK_EVENTS, s);

export const WEBHOOK_SECRET_PREFIX = "whsec_";
