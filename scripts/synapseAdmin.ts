// Synapse's admin API as the scripts and tests use it against a managed
// instance (scripts/synapse.ts): accounts made with the registration shared
// secret, which needs no registration flow and meets no rate limit.
import { createHmac } from "node:crypto";

/** What the admin client needs of an instance (a SynapseInstance has it). */
export interface SynapseAdminTarget {
  serverName: string;
  clientUrl: string;
  registrationSharedSecret: string;
}

/** Creates a user with the shared-secret admin API (no registration flow, no rate limit). */
export async function registerMatrixUser(
  instance: SynapseAdminTarget,
  localpart: string,
  password: string,
  admin = false,
): Promise<{ userId: string; accessToken: string; deviceId: string }> {
  const url = `${instance.clientUrl}/_synapse/admin/v1/register`;
  const nonceRes = await fetch(url);
  if (!nonceRes.ok) throw new Error(`GET ${url}: HTTP ${nonceRes.status} ${await nonceRes.text()}`);
  const { nonce } = (await nonceRes.json()) as { nonce: string };
  const mac = createHmac("sha1", instance.registrationSharedSecret)
    .update(`${nonce}\0${localpart}\0${password}\0${admin ? "admin" : "notadmin"}`)
    .digest("hex");
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ nonce, username: localpart, password, admin, mac }),
  });
  if (!res.ok) throw new Error(`registering ${localpart} on ${instance.serverName}: HTTP ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { user_id: string; access_token: string; device_id: string };
  return { userId: body.user_id, accessToken: body.access_token, deviceId: body.device_id };
}
