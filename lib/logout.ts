// Ending web sessions ends their chat too: each web session chats from a Matrix
// device of its own (lib/sessions.ts chatDeviceId), and the appservice logs that
// device out, so a Matrix token handed to the browser does not outlive the login.
import { endChatDevices } from "./chat/appserviceClient.ts";
import { logger } from "./log.ts";
import { deleteSession, endSessions, chatDeviceId } from "./sessions.ts";

const log = logger("web");

async function revoke(userId: string, devices: string[] | "all"): Promise<void> {
  if (devices !== "all" && devices.length === 0) return;
  // The web session is gone already; a homeserver that is down must not keep anyone logged in here.
  await endChatDevices(userId, devices).catch((err) => log.warn("could not end chat devices of ended web sessions", { user: userId, error: String(err).slice(0, 200) }));
}

/** Logging out: this session and its chat device. */
export async function logOutSession(userId: string | null, token: string | undefined): Promise<void> {
  await deleteSession(token);
  if (userId && token) await revoke(userId, [chatDeviceId(token)]);
}

/** Every session but this one (or all of them), with their chat devices. Returns how many ended. */
export async function logOutOtherSessions(userId: string, keepToken: string | undefined): Promise<number> {
  const devices = await endSessions(userId, keepToken);
  await revoke(userId, devices);
  return devices.length;
}

/** Everything: all web sessions and every chat device of the user's virtual Matrix user. */
export async function logOutEverywhere(userId: string): Promise<void> {
  await endSessions(userId);
  await revoke(userId, "all");
}
