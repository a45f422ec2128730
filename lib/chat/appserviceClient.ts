// The web role's line to the appservice (see appservice/internalApi.ts).
import { config } from "../config.ts";
import { internalSecret } from "../internalAuth.ts";
import type { ModerationCommand } from "./rules.ts";

export class ChatUnavailableError extends Error {}
export class ChatRefusedError extends Error {}
/** What the command names (a message, a channel) does not exist. */
export class ChatTargetMissingError extends ChatRefusedError {}

async function call<T>(path: string, body: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(new URL(path, config.appserviceUrl), {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${await internalSecret()}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
  } catch {
    throw new ChatUnavailableError("Chat is not available right now. Try again in a moment.");
  }
  const data = (await res.json().catch(() => ({}))) as T & { error?: string };
  if (res.status === 404) throw new ChatTargetMissingError(data.error ?? "Not found");
  if (res.status === 422 || res.status === 400) throw new ChatRefusedError(data.error ?? "Refused");
  if (!res.ok) throw new ChatUnavailableError(data.error ?? "Chat is not available right now. Try again in a moment.");
  return data;
}

export function chatSessionFor(livehouseUserId: string, displayName: string, deviceId: string) {
  return call<{ userId: string; accessToken: string; deviceId: string }>("/_livehouse/v1/session", { livehouseUserId, displayName, deviceId });
}

/** Ends chat devices of a user's web sessions (their access tokens stop working), or all of them. */
export function endChatDevices(livehouseUserId: string, deviceIds: string[] | "all") {
  return call<{ ended: number }>("/_livehouse/v1/logout", { livehouseUserId, deviceIds });
}

export function moderateChat(channelId: string, command: ModerationCommand, actor: "owner" | "moderator") {
  return call<Record<string, never>>(`/_livehouse/v1/channels/${encodeURIComponent(channelId)}/moderate`, { command, actor });
}

export function syncChatRoomNow(channelId: string) {
  return call<{ roomId: string }>(`/_livehouse/v1/channels/${encodeURIComponent(channelId)}/sync`, {});
}

/** Asks the appservice to fill a channel's chat feed from the room's history when Redis has none. */
export function backfillChatFeed(channelId: string) {
  return call<Record<string, never>>(`/_livehouse/v1/channels/${encodeURIComponent(channelId)}/feed-backfill`, {});
}
