// Who the chat widget talks to the homeserver as: a Matrix guest for anonymous
// viewers, the viewer's virtual user when logged in. Credentials live in
// sessionStorage so a reload keeps the same identity (and does not pile up
// guest accounts or devices), and die with the tab.
import type { PublicChat } from "../../../lib/chat/publicChat.ts";

export interface ChatCredentials {
  homeserverUrl: string;
  userId: string;
  accessToken: string;
  deviceId: string;
  guest: boolean;
  /** A guest's chosen display name; null until they choose one. */
  displayName: string | null;
}

export class ChatSetupError extends Error {
  constructor(
    message: string,
    readonly retryable = true,
  ) {
    super(message);
  }
}

function storageKey(chat: PublicChat): string {
  return chat.viewer ? `lh-chat:user:${chat.viewer.matrixUserId}` : `lh-chat:guest:${chat.homeserverUrl}`;
}

function read(key: string): ChatCredentials | null {
  try {
    const v = JSON.parse(sessionStorage.getItem(key) ?? "null") as ChatCredentials | null;
    return v && typeof v.accessToken === "string" && typeof v.userId === "string" ? v : null;
  } catch {
    return null;
  }
}

function write(key: string, creds: ChatCredentials): void {
  try {
    sessionStorage.setItem(key, JSON.stringify(creds));
  } catch {
    // Storage off (private mode, sandboxed frame): the session lasts as long as the page.
  }
}

export function storedCredentials(chat: PublicChat): ChatCredentials | null {
  const c = read(storageKey(chat));
  if (!c || c.homeserverUrl !== chat.homeserverUrl) return null;
  if (chat.viewer && c.userId !== chat.viewer.matrixUserId) return null;
  return c;
}

export function saveCredentials(chat: PublicChat, creds: ChatCredentials): void {
  write(storageKey(chat), creds);
}

export function forgetCredentials(chat: PublicChat): void {
  try {
    sessionStorage.removeItem(storageKey(chat));
  } catch {}
}

const guestNameKey = (chat: PublicChat) => `lh-chat:guest-name:${chat.homeserverUrl}`;

/** The name a guest chose before their account exists (it is made on their first message). */
export function storedGuestName(chat: PublicChat): string | null {
  try {
    return sessionStorage.getItem(guestNameKey(chat));
  } catch {
    return null;
  }
}

export function saveGuestName(chat: PublicChat, name: string): void {
  try {
    sessionStorage.setItem(guestNameKey(chat), name);
  } catch {}
}

/** A fresh login: the Livehouse session endpoint, or a new guest account. */
export function newCredentials(chat: PublicChat, slug: string, registerGuest: () => Promise<{ user_id: string; access_token?: string; device_id?: string }>): Promise<ChatCredentials> {
  return login(chat, slug, registerGuest);
}

async function login(chat: PublicChat, slug: string, registerGuest: () => Promise<{ user_id: string; access_token?: string; device_id?: string }>): Promise<ChatCredentials> {
  if (chat.viewer) {
    let res: Response;
    try {
      res = await fetch(`/api/chat/${encodeURIComponent(slug)}/session`, { method: "POST", cache: "no-store" });
    } catch {
      throw new ChatSetupError("Chat is not available right now.");
    }
    const body = (await res.json().catch(() => ({}))) as { userId?: string; accessToken?: string; deviceId?: string; error?: string };
    if (!res.ok || !body.accessToken || !body.userId) {
      throw new ChatSetupError(res.status === 401 ? "Your login has expired. Reload the page to chat as a guest, or log in again." : (body.error ?? "Chat is not available right now."), res.status !== 401);
    }
    return { homeserverUrl: chat.homeserverUrl, userId: body.userId, accessToken: body.accessToken, deviceId: body.deviceId ?? "", guest: false, displayName: chat.viewer.displayName };
  }
  const r = await registerGuest();
  if (!r.access_token) throw new ChatSetupError("The chat server did not let us join as a guest.");
  return { homeserverUrl: chat.homeserverUrl, userId: r.user_id, accessToken: r.access_token, deviceId: r.device_id ?? "", guest: true, displayName: null };
}
