import { revokeStreamKey } from "../../../../lib/channels.ts";
import { authed } from "../../../_lib/api.ts";

/** Revocation is immediate: ingest checks revokedAt on every publish. */
export const DELETE = authed<{ id: string }>(async (user, _req, { id }) => {
  await revokeStreamKey(user.id, id);
  return new Response(null, { status: 204 });
}, { scope: "keys:manage", resource: ({ id }) => ({ streamKey: id }) });
