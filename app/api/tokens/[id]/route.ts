import { revokeApiToken } from "../../../../lib/apiTokens.ts";
import { authed } from "../../../_lib/api.ts";

/** Revokes an API token (account or channel); its next request gets 401. */
export const DELETE = authed<{ id: string }>(async (user, _req, { id }) => {
  await revokeApiToken(user.id, id);
  return new Response(null, { status: 204 });
});
