// The owner API as a program calls it (Authorization: Bearer), and a set of things
// one owner has for every kind of id the API's paths name.
import { createSessionStats } from "../../lib/stats/sessionStats.ts";
import { randomUUID } from "node:crypto";
import type { ApiScope } from "../../lib/apiScopes.ts";
import { createApiToken } from "../../lib/apiTokens.ts";
import { db } from "../../lib/db.ts";
import { createWebhook } from "../../lib/webhooks/store.ts";
import { makeChannel, makeKey, type TestUser } from "./fixtures.ts";
import { request } from "./http.ts";

/** A call with a bearer token and nothing else: no cookie, no Origin (a program, not a browser). */
export function tokenApi(method: string, path: string, token: string | null, body?: unknown, extra: Record<string, string> = {}) {
  const headers: Record<string, string> = { ...extra };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  return request(method, path, { headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

export async function makeToken(user: TestUser, scopes: ApiScope[], channelId: string | null = null): Promise<string> {
  return (await createApiToken(user.id, channelId, { label: `test ${scopes.length} scopes`, scopes })).token;
}

export interface OwnerThings {
  channelId: string;
  slug: string;
  keyId: string;
  /** A live session (status live, no publisher). */
  sessionId: string;
  replayId: string;
  webhookId: string;
  deliveryId: string;
  tokenId: string;
}

/** One of everything, owned by `owner`, on a channel of its own. */
export async function ownerThings(owner: TestUser): Promise<OwnerThings> {
  const channel = await makeChannel(owner);
  const key = await makeKey(owner, channel.id);
  const live = await db().liveSession.create({ data: { channelId: channel.id, status: "live", ladder: "360p30@800k", segmentSeconds: 1 } });
  // As publisherConnected makes it: a session's statistics row is born with it.
  await createSessionStats(db(), live.id);
  const ended = await db().liveSession.create({ data: { channelId: channel.id, status: "ended", ladder: "360p30@800k", segmentSeconds: 1, endedAt: new Date() } });
  const replay = await db().replay.create({ data: { sessionId: ended.id, channelId: channel.id, title: "A replay", durationSeconds: 1 } });
  // Port 9 (discard): nothing listens; the test stack allows loopback destinations.
  const hook = await createWebhook(owner.id, channel.id, { url: "http://127.0.0.1:9/hook", events: ["stream.started"] });
  const delivery = await db().webhookDelivery.create({ data: { id: randomUUID(), webhookId: hook.id, eventId: randomUUID(), eventType: "stream.started", body: "{}", status: "failed" } });
  const token = await createApiToken(owner.id, channel.id, { label: "fixture", scopes: ["channel:read"] });
  return { channelId: channel.id, slug: channel.slug, keyId: key.id, sessionId: live.id, replayId: replay.id, webhookId: hook.id, deliveryId: delivery.id, tokenId: token.id };
}

/** A documented path (/api/keys/{id}) with the ids of `things` filled in. */
export function fillPath(template: string, things: OwnerThings): string {
  const idFor: [RegExp, string][] = [
    [/^\/api\/channels\/\{id\}/, things.channelId],
    [/^\/api\/keys\/\{id\}/, things.keyId],
    [/^\/api\/live-sessions\/\{id\}/, things.sessionId],
    [/^\/api\/replays\/\{id\}/, things.replayId],
    [/^\/api\/webhooks\/\{id\}/, things.webhookId],
    [/^\/api\/webhook-deliveries\/\{id\}/, things.deliveryId],
    [/^\/api\/tokens\/\{id\}/, things.tokenId],
  ];
  let path = template.replace("{slug}", things.slug);
  for (const [re, id] of idFor) if (re.test(path)) path = path.replace("{id}", id);
  if (path.includes("{")) throw new Error(`no fixture for a parameter of ${template}`);
  return path;
}
