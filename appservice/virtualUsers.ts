// Livehouse users chat as virtual Matrix users in our exclusive namespace. The
// appservice registers them, keeps their display name, and logs them in with
// its own token (m.login.application_service): no second password exists.
import type { Bridge } from "matrix-appservice-bridge";
import { config } from "../lib/config.ts";
import { virtualUserId } from "../lib/matrix/ids.ts";

export interface ChatSession {
  userId: string;
  accessToken: string;
  deviceId: string;
}

export class VirtualUsers {
  constructor(
    private readonly bridge: Bridge,
    private readonly asToken: string,
  ) {}

  async session(livehouseUserId: string, displayName: string): Promise<ChatSession> {
    const userId = virtualUserId(livehouseUserId);
    const intent = this.bridge.getIntent(userId);
    await intent.ensureRegistered();
    const profile = await intent.getProfileInfo(userId, "displayname", false).catch(() => ({}) as { displayname?: string });
    if (profile.displayname !== displayName) await intent.setDisplayName(displayName);
    const res = await fetch(new URL("/_matrix/client/v3/login", config.matrixHomeserverUrl), {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${this.asToken}` },
      body: JSON.stringify({
        type: "m.login.application_service",
        identifier: { type: "m.id.user", user: userId },
        // One device per browser login; the web widget keeps the token in sessionStorage.
        initial_device_display_name: "Livehouse web chat",
      }),
    });
    const body = (await res.json().catch(() => ({}))) as { access_token?: string; device_id?: string; user_id?: string; error?: string };
    if (!res.ok || !body.access_token) throw Object.assign(new Error(`login failed: ${res.status}`), { body });
    return { userId: body.user_id ?? userId, accessToken: body.access_token, deviceId: body.device_id ?? "" };
  }
}
