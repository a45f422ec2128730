// A small Matrix client-server API client for tests: real HTTP against the
// stack's Synapse, no SDK in between, so what a test asserts is what the
// homeserver said.
import { randomBytes } from "node:crypto";
import { registerMatrixUser } from "../../scripts/synapseAdmin.ts";
import { db } from "../../lib/db.ts";
import { readRegistrationFile } from "../../lib/matrix/registration.ts";
import { waitFor } from "./live.ts";

export { waitFor };

export const HS_URL = process.env.MATRIX_HOMESERVER_URL ?? "";
export const SERVER_NAME = process.env.MATRIX_SERVER_NAME ?? "";
export const APPSERVICE_URL = process.env.APPSERVICE_URL ?? "";

export interface MatrixUser {
  userId: string;
  accessToken: string;
  baseUrl: string;
}

export class MatrixHttpError extends Error {
  constructor(
    readonly status: number,
    readonly errcode: string,
    message: string,
  ) {
    super(`${status} ${errcode}: ${message}`);
  }
}

export async function mx<T = Record<string, unknown>>(who: Pick<MatrixUser, "accessToken" | "baseUrl"> | { baseUrl: string; accessToken?: string }, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(new URL(path, who.baseUrl), {
    method,
    headers: { ...(who.accessToken ? { Authorization: `Bearer ${who.accessToken}` } : {}), ...(body !== undefined ? { "Content-Type": "application/json" } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = (await res.json().catch(() => ({}))) as T & { errcode?: string; error?: string };
  if (!res.ok) throw new MatrixHttpError(res.status, data.errcode ?? "?", data.error ?? "");
  return data;
}

export async function registeredUser(localpart = `tester${randomBytes(3).toString("hex")}`, baseUrl = HS_URL, sharedSecret = process.env.LH_TEST_MATRIX_SHARED_SECRET!): Promise<MatrixUser> {
  const u = await registerMatrixUser({ clientUrl: baseUrl, registrationSharedSecret: sharedSecret } as Parameters<typeof registerMatrixUser>[0], localpart, `pw-${randomBytes(8).toString("hex")}`);
  return { userId: u.userId, accessToken: u.accessToken, baseUrl };
}

export async function guestUser(displayName?: string, baseUrl = HS_URL): Promise<MatrixUser> {
  const r = await mx<{ user_id: string; access_token: string }>({ baseUrl }, "POST", "/_matrix/client/v3/register?kind=guest", {});
  const u = { userId: r.user_id, accessToken: r.access_token, baseUrl };
  if (displayName) await mx(u, "PUT", `/_matrix/client/v3/profile/${encodeURIComponent(u.userId)}/displayname`, { displayname: displayName });
  return u;
}

const txn = () => `t${Date.now()}${randomBytes(4).toString("hex")}`;

export async function join(u: MatrixUser, roomIdOrAlias: string, via?: string): Promise<string> {
  const q = via ? `?server_name=${encodeURIComponent(via)}` : "";
  const r = await mx<{ room_id: string }>(u, "POST", `/_matrix/client/v3/join/${encodeURIComponent(roomIdOrAlias)}${q}`, {});
  return r.room_id;
}

export async function say(u: MatrixUser, roomId: string, body: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await mx<{ event_id: string }>(u, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txn()}`, { msgtype: "m.text", body, ...extra });
  return r.event_id;
}

export async function state<T = Record<string, unknown>>(u: MatrixUser, roomId: string, type: string, stateKey = ""): Promise<T> {
  return mx<T>(u, "GET", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/${type}/${encodeURIComponent(stateKey)}`);
}

export interface RoomEvent {
  event_id: string;
  type: string;
  sender: string;
  content: Record<string, unknown>;
  state_key?: string;
  unsigned?: { redacted_because?: unknown };
}

export async function recentEvents(u: MatrixUser, roomId: string, limit = 50): Promise<RoomEvent[]> {
  const r = await mx<{ chunk: RoomEvent[] }>(u, "GET", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=${limit}`);
  return r.chunk;
}

export async function eventById(u: MatrixUser, roomId: string, eventId: string): Promise<RoomEvent> {
  return mx<RoomEvent>(u, "GET", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/event/${encodeURIComponent(eventId)}`);
}

export const isRedacted = (e: RoomEvent) => Boolean(e.unsigned?.redacted_because) || Object.keys(e.content ?? {}).length === 0;

export async function membership(u: MatrixUser, roomId: string, userId: string): Promise<string | null> {
  try {
    return (await state<{ membership: string }>(u, roomId, "m.room.member", userId)).membership;
  } catch (err) {
    if (err instanceof MatrixHttpError && err.status === 404) return null;
    throw err;
  }
}

/** The room the appservice made for a channel, once it exists. */
export async function channelRoom(channelId: string, timeoutMs = 15_000): Promise<string> {
  return waitFor(
    "the channel's chat room",
    async () => (await db().channel.findUnique({ where: { id: channelId }, select: { matrixRoomId: true } }))?.matrixRoomId,
    timeoutMs,
  );
}

export function registration() {
  return readRegistrationFile(process.env.MATRIX_REGISTRATION_FILE);
}

/**
 * How many HTTP requests the homeserver has received so far, from its
 * Prometheus metrics (the managed Synapse serves them on a loopback listener,
 * LH_TEST_SYNAPSE_METRICS_URL).
 */
export async function synapseRequestCount(metricsUrl = process.env.LH_TEST_SYNAPSE_METRICS_URL ?? ""): Promise<number> {
  if (!metricsUrl) throw new Error("LH_TEST_SYNAPSE_METRICS_URL is not set: the test stack starts Synapse with a metrics listener");
  const text = await (await fetch(metricsUrl)).text();
  let n = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith("synapse_http_server_requests_received")) continue;
    const [name] = line.split(/[{ ]/, 1);
    if (name.endsWith("_created")) continue;
    n += Number(line.slice(line.lastIndexOf(" ") + 1)) || 0;
  }
  return n;
}
