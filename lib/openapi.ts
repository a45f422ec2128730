// The OpenAPI 3.1 description of Livehouse's HTTP API, served at /api/openapi.json.
// Written by hand beside the routes; test/integration/openapi.test.ts holds it to
// them: every route file's methods are here, every path here exists, and what each
// operation says about authentication and scopes is what the server enforces.
//
// x-livehouse-auth says who may call an operation: "public", "session" (a logged-in
// browser only) or "token" (a browser session, or an API token with x-livehouse-scope).
import { API_SCOPES, API_SCOPE_NAMES, type ApiScope } from "./apiScopes.ts";
import { TEST_EVENT, WEBHOOK_EVENTS, WEBHOOK_EVENT_NAMES, type WebhookEventType } from "./webhooks/eventTypes.ts";
import { SIGNATURE_HEADER, SIGNATURE_TOLERANCE_SECONDS } from "./webhooks/signature.ts";
import { WEBHOOK_DELIVERY_ATTEMPTS, WEBHOOK_RETRY_BASE_MS } from "./queue.ts";

type Json = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const body = (schema: Json, description?: string) => ({ required: true, ...(description ? { description } : {}), content: { "application/json": { schema } } });
const ok = (schema: Json, description: string) => ({ description, content: { "application/json": { schema } } });
const noContent = { description: "Done; no body." };
const errorRef = (name: string) => ({ $ref: `#/components/responses/${name}` });
const uuidParam = (name: string, what: string) => ({ name, in: "path", required: true, description: what, schema: { type: "string", format: "uuid" } });
const slugParam = { name: "slug", in: "path", required: true, description: "The channel's URL name (/c/<slug>).", schema: { type: "string" } };
const str = { type: "string" };
const dateTime = { type: "string", format: "date-time" };
const nullable = (schema: Json) => ({ oneOf: [schema, { type: "null" }] });

type Op = Json & { summary: string; responses: Json };

/** Owner API: a browser session, or an API token with `scope` (a channel token: that channel only). */
function owner(scope: ApiScope, op: Op): Json {
  return {
    ...op,
    "x-livehouse-auth": "token",
    "x-livehouse-scope": scope,
    description: `${op.description ? `${op.description}\n\n` : ""}API tokens need the scope \`${scope}\` (${API_SCOPES[scope]}).`,
    security: [{ apiToken: [scope] }, { session: [] }],
    responses: { ...op.responses, 401: errorRef("Unauthorized"), 403: errorRef("Forbidden"), 404: errorRef("NotFound") },
  };
}

/** Dashboard-only: a logged-in browser session; API tokens get 403. */
function sessionOnly(op: Op): Json {
  return {
    ...op,
    "x-livehouse-auth": "session",
    description: `${op.description ? `${op.description}\n\n` : ""}Browser session only (same-origin requests); API tokens get 403.`,
    security: [{ session: [] }],
    responses: { ...op.responses, 401: errorRef("Unauthorized"), 403: errorRef("Forbidden"), 404: errorRef("NotFound") },
  };
}

/** The instance admin's: the admin's browser session; other accounts get 404 (the page does not exist for them), API tokens 403. */
function adminOnly(op: Op): Json {
  return {
    ...op,
    "x-livehouse-auth": "admin",
    description: `${op.description ? `${op.description}\n\n` : ""}The instance admin's browser session only; other accounts get 404, API tokens 403.`,
    security: [{ session: [] }],
    responses: { ...op.responses, 401: errorRef("Unauthorized"), 403: errorRef("Forbidden"), 404: errorRef("NotFound") },
  };
}

function open(op: Op, servedBy?: string): Json {
  return { ...op, "x-livehouse-auth": "public", security: [], ...(servedBy ? { "x-livehouse-served-by": servedBy } : {}) };
}

const channelId = uuidParam("id", "The channel's id (GET /api/channels lists them).");

const eventData: Record<WebhookEventType, Json> = {
  "stream.started": { type: "object", required: ["sessionId", "startedAt"], properties: { sessionId: str, startedAt: dateTime } },
  "stream.reconnecting": {
    type: "object",
    required: ["sessionId", "part", "reconnectWindowSeconds"],
    properties: { sessionId: str, part: { type: "integer", description: "The part (publisher connection) that dropped, from 0." }, reconnectWindowSeconds: { type: "integer" } },
  },
  "stream.resumed": { type: "object", required: ["sessionId", "part"], properties: { sessionId: str, part: { type: "integer", description: "The new part, from 1." } } },
  "stream.ended": {
    type: "object",
    required: ["sessionId", "startedAt", "endedAt", "reason"],
    properties: {
      sessionId: str,
      startedAt: dateTime,
      endedAt: nullable(dateTime),
      reason: { ...nullable(str), description: "publisher-left, reconnect-window-expired, ended-by-creator, account-disabled, …" },
    },
  },
  "replay.ready": {
    type: "object",
    required: ["replayId", "sessionId", "title", "durationSeconds", "url"],
    properties: { replayId: str, sessionId: str, title: str, durationSeconds: { type: "number" }, url: { ...nullable(str), description: "The replay page (null without PUBLIC_URL)." } },
  },
  "replay.exported": {
    type: "object",
    required: ["replayId", "sessionId", "bytes", "mp4Url", "posterUrl"],
    properties: { replayId: str, sessionId: str, bytes: { type: "integer" }, mp4Url: nullable(str), posterUrl: nullable(str) },
  },
  "chat.moderation": {
    type: "object",
    required: ["action", "actor"],
    description: "The moderation command as it was carried out, and who gave it.",
    properties: {
      action: { enum: ["ban", "unban", "kick", "timeout", "redact", "moderator"] },
      actor: { enum: ["owner", "moderator"] },
      userId: { ...str, description: "The Matrix user acted on (not for redact)." },
      eventId: { ...str, description: "The deleted message (redact)." },
      reason: str,
      seconds: { type: "integer", description: "timeout only" },
      grant: { type: "boolean", description: "moderator only: appointed (true) or dismissed" },
    },
  },
};

function eventSchema(type: string, data: Json): Json {
  return {
    type: "object",
    required: ["id", "type", "timestamp", "channel", "data"],
    properties: {
      id: { type: "string", format: "uuid", description: "The event's id: the same in every delivery of it (retries, send again). Use it to drop duplicates." },
      type: { const: type },
      timestamp: { ...dateTime, description: "When it happened." },
      channel: ref("EventChannel"),
      data,
    },
  };
}

const signatureDoc =
  `${SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>. ` +
  `Compute the HMAC over the raw body bytes as received, compare in constant time against every v1 (a second one, made with the previous secret, ` +
  `is present for a day after a rotation), and refuse a t more than ${SIGNATURE_TOLERANCE_SECONDS} s from your clock.`;

function webhookOperation(type: string, description: string, data: Json): Json {
  return {
    post: {
      summary: type,
      description: `${description}.\n\n${signatureDoc}\n\nAnswer 2xx within the timeout (WEBHOOK_TIMEOUT_SECONDS, 10 s by default). Anything else is retried up to ${WEBHOOK_DELIVERY_ATTEMPTS} attempts in all, ${WEBHOOK_RETRY_BASE_MS / 1000} s after the first and doubling; redirects are not followed.`,
      parameters: [
        { name: SIGNATURE_HEADER, in: "header", required: true, schema: str },
        { name: "X-Livehouse-Event", in: "header", required: true, schema: { const: type } },
        { name: "X-Livehouse-Event-Id", in: "header", required: true, schema: { type: "string", format: "uuid" } },
        { name: "X-Livehouse-Delivery", in: "header", required: true, description: "This delivery's id (each retry of it keeps it; send again makes a new one).", schema: { type: "string", format: "uuid" } },
      ],
      requestBody: body(eventSchema(type, data)),
      responses: { "2XX": { description: "Received." } },
    },
  };
}

export function openApiDocument(serverUrl: string): Json {
  const scopeList = API_SCOPE_NAMES.map((s) => `- \`${s}\`: ${API_SCOPES[s]}`).join("\n");
  return {
    openapi: "3.1.0",
    info: {
      title: "Livehouse API",
      version: "1",
      description:
        "The owner API (channels, stream keys, live sessions, replays, chat moderation) and the public read API of a Livehouse instance.\n\n" +
        "Owner operations accept a logged-in browser session or an API token (`Authorization: Bearer lh_api_…`, created on the dashboard: " +
        "account tokens on the Account page, channel tokens on a channel's settings page). A token acts for its account with the same ownership checks, " +
        "within its scopes:\n\n" +
        scopeList +
        "\n\nA wrong scope answers 403 naming the scope needed (`requiredScope`); an unknown or revoked token, or one of a disabled account, 401; " +
        "a channel token used on another channel, like another owner's channel, 404. API tokens and webhooks themselves are managed from the dashboard only. " +
        "Browser-session mutations must be same-origin (an `Origin` header equal to the site's); token requests carry no cookie and need no `Origin`.",
    },
    servers: [{ url: serverUrl }],
    tags: [{ name: "public" }, { name: "channels" }, { name: "keys" }, { name: "live" }, { name: "replays" }, { name: "chat" }, { name: "tokens" }, { name: "webhooks" }, { name: "admin" }],
    paths: {
      "/api/openapi.json": { get: open({ tags: ["public"], summary: "This description", responses: { 200: ok({ type: "object" }, "OpenAPI 3.1 document") } }) },
      "/api/health": {
        get: open({
          tags: ["public"],
          summary: "Whether the web app reaches PostgreSQL and Redis",
          responses: {
            200: ok({ type: "object", properties: { ok: { type: "boolean" }, database: { type: "boolean" }, redis: { type: "boolean" } } }, "Healthy"),
            503: { description: "Something it needs is down (same body)." },
          },
        }),
      },
      "/api/live/{slug}": {
        get: open({
          tags: ["public"],
          summary: "Is the channel live, and where is its stream",
          description: "Polled by the channel page; CORS-open (`Access-Control-Allow-Origin: *`).",
          parameters: [slugParam, { name: "viewer", in: "query", required: false, description: "A random id per viewer page, counted as a viewer while polled.", schema: str }],
          responses: { 200: ok(ref("PublicLive"), "Live status"), 404: errorRef("NotFound") },
        }),
      },
      "/api/replays/{id}/chat": {
        get: open({
          tags: ["public"],
          summary: "A replay's chat, a page at a time, each message with the second of the replay it shows at",
          description: "Public, like the replay. `?at=<seconds>`: the last 100 messages shown by then and the next 500; `?after=<cursor>` (an earlier answer's `next`): the next 500.",
          parameters: [
            uuidParam("id", "The replay's id."),
            { name: "at", in: "query", required: false, schema: { type: "number", minimum: 0 } },
            { name: "after", in: "query", required: false, schema: str },
          ],
          responses: { 200: ok({ type: "object" }, "Messages"), 400: errorRef("Invalid"), 404: errorRef("NotFound") },
        }),
      },
      "/api/chat/{slug}": {
        get: open({
          tags: ["public", "chat"],
          summary: "Where the channel's chat room is, and what the viewer may do in it",
          description: "`viewer` is filled in for a logged-in browser session, null otherwise.",
          parameters: [slugParam],
          responses: { 200: ok(ref("PublicChat"), "The chat"), 404: errorRef("NotFound") },
        }),
      },
      "/api/chat/{slug}/feed": {
        get: open(
          {
            tags: ["public", "chat"],
            summary: "The channel's chat as Server-Sent Events",
            description: "A page of history, then every message as it arrives; resumes after `Last-Event-ID`. With `?before=<id>`: JSON, the page before that entry.",
            parameters: [slugParam, { name: "before", in: "query", required: false, schema: str }],
            responses: { 200: { description: "text/event-stream (or JSON with ?before)", content: { "text/event-stream": { schema: str } } }, 404: errorRef("NotFound") },
          },
          "app/chatFeedHttp.ts",
        ),
      },
      "/api/chat/{slug}/session": {
        post: sessionOnly({ tags: ["chat"], summary: "A Matrix login for the logged-in user's own chat account", parameters: [slugParam], responses: { 200: ok({ type: "object" }, "Matrix access token, user id, device id, homeserver") } }),
      },
      "/api/channels": {
        get: owner("channel:read", {
          tags: ["channels"],
          summary: "Your channels",
          description: "All of the account's channels; with a channel token, that channel only.",
          responses: { 200: ok({ type: "object", required: ["channels"], properties: { channels: { type: "array", items: ref("Channel") } } }, "Channels") },
        }),
      },
      "/api/channels/{id}/live": {
        get: owner("channel:read", { tags: ["live"], summary: "Live status with stream health, viewers and warnings", parameters: [channelId], responses: { 200: ok(ref("DashboardLive"), "Status") } }),
      },
      "/api/channels/{id}/replays": {
        get: owner("channel:read", {
          tags: ["replays"],
          summary: "The channel's replays, newest first (50)",
          parameters: [channelId],
          responses: { 200: ok({ type: "object", properties: { replays: { type: "array", items: ref("Replay") } } }, "Replays") },
        }),
      },
      "/api/channels/{id}/keys": {
        get: owner("keys:manage", {
          tags: ["keys"],
          summary: "The channel's active stream keys (hints only)",
          parameters: [channelId],
          responses: { 200: ok({ type: "object", properties: { keys: { type: "array", items: ref("StreamKey") } } }, "Keys") },
        }),
        post: owner("keys:manage", {
          tags: ["keys"],
          summary: "Create a stream key; the response carries it once",
          parameters: [channelId],
          requestBody: body({ type: "object", required: ["label"], properties: { label: { type: "string", maxLength: 60 } } }),
          responses: { 201: ok({ allOf: [ref("StreamKey"), { type: "object", required: ["key"], properties: { key: str } }] }, "The new key"), 409: errorRef("Limit"), 422: errorRef("Invalid") },
        }),
      },
      "/api/keys/{id}": {
        delete: owner("keys:manage", { tags: ["keys"], summary: "Revoke a stream key (at once)", parameters: [uuidParam("id", "The key's id.")], responses: { 204: noContent } }),
      },
      "/api/live-sessions/{id}/end": {
        post: owner("stream:end", {
          tags: ["live"],
          summary: "End stream: ends the session and disconnects the publisher",
          parameters: [uuidParam("id", "The live session's id (sessionId of the live status).")],
          responses: { 200: ok({ type: "object", properties: { status: { const: "ended" } } }, "Ended (also when it already was)") },
        }),
      },
      "/api/live-sessions/{id}/stats": {
        get: owner("channel:read", {
          tags: ["live"],
          summary: "A session's statistics: peak, average and unique viewers, chat messages, bitrate, incidents, and every viewer-count sample",
          parameters: [uuidParam("id", "The live session's id (sessionId of the live status or of a replay).")],
          responses: { 200: ok({ type: "object" }, "Statistics") },
        }),
      },
      "/api/admin/jobs": {
        get: adminOnly({
          tags: ["admin"],
          summary: "Background jobs: counts per queue and state, running jobs with progress, a page of failed jobs (newest first)",
          parameters: [{ name: "page", in: "query", required: false, schema: { type: "integer", minimum: 1 } }],
          responses: { 200: ok({ type: "object" }, "The job board") },
        }),
      },
      "/api/admin/jobs/retry": {
        post: adminOnly({
          tags: ["admin"],
          summary: "Run a failed job again, with fresh attempts",
          requestBody: body({ type: "object", required: ["queue", "jobId"], properties: { queue: str, jobId: str } }),
          responses: { 200: ok({ type: "object", properties: { ok: { const: true } } }, "Queued again"), 422: errorRef("Invalid") },
        }),
      },
      "/api/admin/jobs/remove": {
        post: adminOnly({
          tags: ["admin"],
          summary: "Delete a failed job",
          requestBody: body({ type: "object", required: ["queue", "jobId"], properties: { queue: str, jobId: str } }),
          responses: { 200: ok({ type: "object", properties: { ok: { const: true } } }, "Removed"), 422: errorRef("Invalid") },
        }),
      },
      "/api/admin/queues/retry-failed": {
        post: adminOnly({
          tags: ["admin"],
          summary: "Run every failed job of a queue again",
          requestBody: body({ type: "object", required: ["queue"], properties: { queue: str } }),
          responses: { 200: ok({ type: "object", properties: { retried: { type: "integer" } } }, "How many were queued again"), 422: errorRef("Invalid") },
        }),
      },
      "/api/replays/{id}": {
        patch: owner("replays:manage", {
          tags: ["replays"],
          summary: "Rename a replay",
          parameters: [uuidParam("id", "The replay's id.")],
          requestBody: body({ type: "object", required: ["title"], properties: { title: { type: "string", maxLength: 100 } } }),
          responses: { 200: ok(ref("Replay"), "Renamed"), 422: errorRef("Invalid") },
        }),
        delete: owner("replays:manage", { tags: ["replays"], summary: "Delete a replay and its files", parameters: [uuidParam("id", "The replay's id.")], responses: { 204: noContent } }),
      },
      "/api/channels/{id}/chat": {
        get: owner("chat:moderate", { tags: ["chat"], summary: "The chat room, moderators, bans, timeouts and settings", parameters: [channelId], responses: { 200: ok(ref("ChatState"), "Chat state") } }),
        put: owner("chat:moderate", {
          tags: ["chat"],
          summary: "Slow mode and the word filter",
          parameters: [channelId],
          requestBody: body({ type: "object", required: ["slowModeSeconds", "wordFilter"], properties: { slowModeSeconds: { type: "integer", minimum: 0 }, wordFilter: { type: "string", description: "One word or phrase per line." } } }),
          responses: { 200: ok({ type: "object" }, "Saved settings"), 422: errorRef("Invalid") },
        }),
      },
      "/api/channels/{id}/chat/moderate": {
        post: owner("chat:moderate", {
          tags: ["chat"],
          summary: "Ban, unban, time out, kick, delete a message, appoint moderators",
          description: "The channel's owner, or a user appointed moderator (appointing moderators: the owner only).",
          parameters: [channelId],
          requestBody: body(ref("ModerationCommand")),
          responses: { 200: ok({ type: "object", properties: { ok: { const: true } } }, "Done"), 422: errorRef("Invalid"), 503: { description: "The chat server did not answer." } },
        }),
      },
      "/api/tokens": {
        get: sessionOnly({ tags: ["tokens"], summary: "The account's API tokens", responses: { 200: ok({ type: "object", properties: { tokens: { type: "array", items: ref("ApiToken") } } }, "Tokens") } }),
        post: sessionOnly({
          tags: ["tokens"],
          summary: "Create an account token; the response carries it once",
          requestBody: body(ref("NewApiToken")),
          responses: { 201: ok(ref("CreatedApiToken"), "The token"), 409: errorRef("Limit"), 422: errorRef("Invalid") },
        }),
      },
      "/api/tokens/{id}": {
        delete: sessionOnly({ tags: ["tokens"], summary: "Revoke an API token", parameters: [uuidParam("id", "The token's id.")], responses: { 204: noContent } }),
      },
      "/api/channels/{id}/tokens": {
        get: sessionOnly({ tags: ["tokens"], summary: "The channel's API tokens", parameters: [channelId], responses: { 200: ok({ type: "object", properties: { tokens: { type: "array", items: ref("ApiToken") } } }, "Tokens") } }),
        post: sessionOnly({
          tags: ["tokens"],
          summary: "Create a token for this channel only; the response carries it once",
          parameters: [channelId],
          requestBody: body(ref("NewApiToken")),
          responses: { 201: ok(ref("CreatedApiToken"), "The token"), 409: errorRef("Limit"), 422: errorRef("Invalid") },
        }),
      },
      "/api/channels/{id}/webhooks": {
        get: sessionOnly({ tags: ["webhooks"], summary: "The channel's webhooks", parameters: [channelId], responses: { 200: ok({ type: "object", properties: { webhooks: { type: "array", items: ref("Webhook") } } }, "Webhooks") } }),
        post: sessionOnly({
          tags: ["webhooks"],
          summary: "Add a webhook; the response carries its signing secret once",
          description: "The URL must be http(s), without credentials, and resolve to public addresses only (unless the instance sets WEBHOOK_ALLOW_PRIVATE).",
          parameters: [channelId],
          requestBody: body({ type: "object", required: ["url", "events"], properties: { url: str, events: { type: "array", items: { enum: WEBHOOK_EVENT_NAMES }, minItems: 1 } } }),
          responses: { 201: ok(ref("WebhookWithSecret"), "The webhook"), 409: errorRef("Limit"), 422: errorRef("Invalid") },
        }),
      },
      "/api/webhooks/{id}": {
        patch: sessionOnly({
          tags: ["webhooks"],
          summary: "Change the URL or events, or pause/resume",
          parameters: [uuidParam("id", "The webhook's id.")],
          requestBody: body({ type: "object", properties: { url: str, events: { type: "array", items: { enum: WEBHOOK_EVENT_NAMES } }, enabled: { type: "boolean" } } }),
          responses: { 200: ok(ref("Webhook"), "Saved"), 422: errorRef("Invalid") },
        }),
        delete: sessionOnly({ tags: ["webhooks"], summary: "Delete a webhook and its delivery log", parameters: [uuidParam("id", "The webhook's id.")], responses: { 204: noContent } }),
      },
      "/api/webhooks/{id}/secret": {
        post: sessionOnly({
          tags: ["webhooks"],
          summary: "Rotate the signing secret; the response carries the new one once",
          description: "The previous secret keeps signing (a second v1) for 24 hours.",
          parameters: [uuidParam("id", "The webhook's id.")],
          responses: { 200: ok(ref("WebhookWithSecret"), "The new secret") },
        }),
      },
      "/api/webhooks/{id}/test": {
        post: sessionOnly({ tags: ["webhooks"], summary: `Send a ${TEST_EVENT} event to this webhook`, parameters: [uuidParam("id", "The webhook's id.")], responses: { 202: ok(ref("WebhookDelivery"), "Queued") } }),
      },
      "/api/webhooks/{id}/deliveries": {
        get: sessionOnly({
          tags: ["webhooks"],
          summary: "The delivery log (latest 50)",
          parameters: [uuidParam("id", "The webhook's id.")],
          responses: { 200: ok({ type: "object", properties: { deliveries: { type: "array", items: ref("WebhookDelivery") } } }, "Deliveries") },
        }),
      },
      "/api/webhook-deliveries/{id}/resend": {
        post: sessionOnly({ tags: ["webhooks"], summary: "Send again: the same event as a new delivery", parameters: [uuidParam("id", "The delivery's id.")], responses: { 202: ok(ref("WebhookDelivery"), "Queued") } }),
      },
    },
    webhooks: {
      ...Object.fromEntries(WEBHOOK_EVENT_NAMES.map((t) => [t, webhookOperation(t, WEBHOOK_EVENTS[t], eventData[t])])),
      [TEST_EVENT]: webhookOperation(TEST_EVENT, "Sent by Send test event", { type: "object", properties: { message: str, webhookId: str } }),
    },
    components: {
      securitySchemes: {
        apiToken: { type: "http", scheme: "bearer", description: `An API token (lh_api_…). Its scopes:\n\n${scopeList}` },
        session: { type: "apiKey", in: "cookie", name: "lh_session", description: "A logged-in browser session (mutations must be same-origin)." },
      },
      responses: {
        Unauthorized: { description: "No session, or an unknown or revoked API token (or its account is disabled).", content: { "application/json": { schema: ref("Error") } } },
        Forbidden: { description: "The API token lacks the scope (`requiredScope` names it), the operation is for browser sessions only, or a cross-site request.", content: { "application/json": { schema: ref("Error") } } },
        NotFound: { description: "No such thing, or not yours (the answer does not say which).", content: { "application/json": { schema: ref("Error") } } },
        Invalid: { description: "The input is wrong; `fields` says where.", content: { "application/json": { schema: ref("Error") } } },
        Limit: { description: "A limit is reached (keys, tokens, webhooks).", content: { "application/json": { schema: ref("Error") } } },
      },
      schemas: {
        Error: {
          type: "object",
          required: ["error"],
          properties: { error: str, fields: { type: "object", additionalProperties: str }, requiredScope: { enum: API_SCOPE_NAMES } },
        },
        Channel: { type: "object", properties: { id: str, slug: str, title: str, description: str, createdAt: dateTime } },
        PublicLive: {
          type: "object",
          required: ["status"],
          properties: {
            status: { enum: ["offline", "starting", "live", "reconnecting"] },
            sessionId: str,
            hlsUrl: str,
            startedAt: dateTime,
            viewers: { type: "integer" },
            finishing: { type: "boolean" },
            problem: str,
            webrtc: { type: "object", properties: { path: str, iceServers: { type: "array" } } },
          },
        },
        DashboardLive: {
          allOf: [
            ref("PublicLive"),
            {
              type: "object",
              properties: {
                ingest: nullable({ type: "object", description: "What ingest measures of the publisher's stream." }),
                transcode: nullable({ type: "object", description: "Speed, lag and overload steps of the live transcode." }),
                segmentSeconds: { type: "integer" },
                warnings: { type: "array", items: str },
                streamProblem: nullable(str),
              },
            },
          ],
        },
        PublicChat: {
          type: "object",
          properties: { channelId: str, title: str, alias: str, roomId: nullable(str), homeserverUrl: str, serverName: str, slowModeSeconds: { type: "integer" }, viewer: nullable({ type: "object" }) },
        },
        StreamKey: { type: "object", properties: { id: str, label: str, hint: str, createdAt: dateTime, lastUsedAt: nullable(dateTime) } },
        Replay: {
          type: "object",
          properties: {
            id: str,
            sessionId: str,
            title: str,
            durationSeconds: { type: "number" },
            createdAt: dateTime,
            hasPoster: { type: "boolean" },
            exportStatus: { enum: ["pending", "running", "ready", "failed"] },
            exportProgress: { type: "number" },
            markers: { type: "array", items: { type: "object", properties: { at: { type: "number" }, gapSeconds: { type: "number" }, label: str } } },
          },
        },
        ChatState: {
          type: "object",
          properties: {
            roomId: nullable(str),
            alias: str,
            slowModeSeconds: { type: "integer" },
            wordFilter: { type: "array", items: str },
            messageCount: { type: "integer" },
            moderators: { type: "array", items: { type: "object" } },
            bans: { type: "array", items: { type: "object" } },
          },
        },
        ModerationCommand: {
          oneOf: [
            { type: "object", required: ["action", "userId"], properties: { action: { const: "ban" }, userId: str, reason: str } },
            { type: "object", required: ["action", "userId"], properties: { action: { const: "unban" }, userId: str } },
            { type: "object", required: ["action", "userId"], properties: { action: { const: "kick" }, userId: str, reason: str } },
            { type: "object", required: ["action", "userId", "seconds"], properties: { action: { const: "timeout" }, userId: str, seconds: { type: "integer", minimum: 1 }, reason: str } },
            { type: "object", required: ["action", "eventId"], properties: { action: { const: "redact" }, eventId: str, reason: str } },
            { type: "object", required: ["action", "userId", "grant"], properties: { action: { const: "moderator" }, userId: str, grant: { type: "boolean" } } },
          ],
        },
        ApiToken: {
          type: "object",
          properties: { id: str, label: str, hint: str, scopes: { type: "array", items: { enum: API_SCOPE_NAMES } }, channelId: nullable(str), createdAt: dateTime, lastUsedAt: nullable(dateTime) },
        },
        NewApiToken: {
          type: "object",
          required: ["label", "scopes"],
          properties: { label: { type: "string", maxLength: 60 }, scopes: { type: "array", items: { enum: API_SCOPE_NAMES }, minItems: 1 } },
        },
        CreatedApiToken: { allOf: [ref("ApiToken"), { type: "object", required: ["token"], properties: { token: { ...str, description: "lh_api_…, shown this once." } } }] },
        Webhook: {
          type: "object",
          properties: {
            id: str,
            channelId: str,
            url: str,
            events: { type: "array", items: { enum: WEBHOOK_EVENT_NAMES } },
            enabled: { type: "boolean" },
            secretHint: str,
            previousSecretUntil: { ...nullable(dateTime), description: "Until when the previous secret also signs, after a rotation." },
            createdAt: dateTime,
          },
        },
        WebhookWithSecret: { allOf: [ref("Webhook"), { type: "object", required: ["secret"], properties: { secret: { ...str, description: "whsec_…, shown this once." } } }] },
        WebhookDelivery: {
          type: "object",
          properties: {
            id: str,
            eventId: str,
            eventType: str,
            body: { ...str, description: "The JSON sent." },
            status: { enum: ["pending", "retrying", "succeeded", "failed"] },
            attempts: { type: "integer" },
            responseStatus: nullable({ type: "integer" }),
            durationMs: nullable({ type: "integer" }),
            responseSnippet: nullable(str),
            error: nullable(str),
            redelivery: { type: "boolean" },
            createdAt: dateTime,
            lastAttemptAt: nullable(dateTime),
          },
        },
        EventChannel: { type: "object", required: ["id", "slug", "title", "url"], properties: { id: str, slug: str, title: str, url: { ...nullable(str), description: "The channel page (null without PUBLIC_URL)." } } },
      },
    },
  };
}
