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

  private login(userId: string, deviceId: string): Promise<Response> {
    return fetch(new URL("/_matrix/client/v3/login", config.matrixHomeserverUrl), {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${this.asToken}` },
      body: JSON.stringify({
        type: "m.login.application_service",
        identifier: { type: "m.id.user", user: userId },
        // One device per web session (the web names it): repeated logins reuse it.
        device_id: deviceId,
        initial_device_display_name: "Livehouse web chat",
      }),
    });
  }

  /**
   * Ends devices of a virtual user: every access token of each stops working. The
   * appservice holds none of them, so it logs into the device once more and logs that
   * login out, which deletes the device with all its tokens.
   */
  async endDevices(livehouseUserId: string, deviceIds: string[] | "all"): Promise<number> {
    const userId = virtualUserId(livehouseUserId);
    const targets = deviceIds === "all" ? ["LHW-LOGOUT-ALL"] : deviceIds;
    let ended = 0;
    for (const deviceId of targets) {
      const res = await this.login(userId, deviceId);
      const body = (await res.json().catch(() => ({}))) as { access_token?: string; errcode?: string };
      if (!res.ok || !body.access_token) {
        // A user who never chatted has no Matrix account yet: nothing to end (Synapse 1.160
        // answers an appservice login of an unregistered user with 404 M_UNKNOWN).
        const noAccount = body.errcode === "M_FORBIDDEN" || body.errcode === "M_INVALID_USERNAME" || res.status === 403 || (res.status === 404 && body.errcode === "M_UNKNOWN");
        if (noAccount) continue;
        throw new Error(`login to end a device failed: ${res.status} ${body.errcode ?? ""}`);
      }
      const out = await fetch(new URL(deviceIds === "all" ? "/_matrix/client/v3/logout/all" : "/_matrix/client/v3/logout", config.matrixHomeserverUrl), {
        method: "POST",
        headers: { Authorization: `Bearer ${body.access_token}`, "Content-Type": "application/json" },
        body: "{}",
      });
      if (!out.ok) throw new Error(`logout failed: ${out.status}`);
      ended++;
    }
    return ended;
  }

  async session(livehouseUserId: string, displayName: string, deviceId: string): Promise<ChatSession> {
    const userId = virtualUserId(livehouseUserId);
    const intent = this.bridge.getIntent(userId);
    await intent.ensureRegistered();
    const profile = await intent.getProfileInfo(userId, "displayname", false).catch(() => ({}) as { displayname?: string });
    if (profile.displayname !== displayName) await intent.setDisplayName(displayName);
    const res = await this.login(userId, deviceId);
    const body = (await res.json().catch(() => ({}))) as { access_token?: string; device_id?: string; user_id?: string; error?: string };
    if (!res.ok || !body.access_token) throw Object.assign(new Error(`login failed: ${res.status}`), { body });
    return { userId: body.user_id ?? userId, accessToken: body.access_token, deviceId: body.device_id ?? "" };
  }
}
