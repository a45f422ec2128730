import { cookies } from "next/headers";
import { NextResponse } from "next/server";
import { SESSION_COOKIE, chatDeviceId } from "../../../../../lib/sessions.ts";
import { ChatUnavailableError, chatSessionFor } from "../../../../../lib/chat/appserviceClient.ts";
import { chatChannelBySlug } from "../../../../../lib/chat/store.ts";
import { authed, jsonError } from "../../../../_lib/api.ts";

/** A logged-in viewer's Matrix login as their virtual user (no second password). */
export const POST = authed<{ slug: string }>(async (user, _req, { slug }) => {
  if (!(await chatChannelBySlug(slug))) return jsonError(404, "Channel not found");
  try {
    // One Matrix device per web session: logging out of the site ends it (lib/logout.ts).
    const token = (await cookies()).get(SESSION_COOKIE)?.value;
    if (!token) return jsonError(401, "Log in first.");
    return NextResponse.json(await chatSessionFor(user.id, user.displayName, chatDeviceId(token)), { headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    if (err instanceof ChatUnavailableError) return jsonError(503, err.message);
    throw err;
  }
});
