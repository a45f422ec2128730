import { NextResponse } from "next/server";
import { ChatUnavailableError, chatSessionFor } from "../../../../../lib/chat/appserviceClient.ts";
import { chatChannelBySlug } from "../../../../../lib/chat/store.ts";
import { authed, jsonError } from "../../../../_lib/api.ts";

/** A logged-in viewer's Matrix login as their virtual user (no second password). */
export const POST = authed<{ slug: string }>(async (user, _req, { slug }) => {
  if (!(await chatChannelBySlug(slug))) return jsonError(404, "Channel not found");
  try {
    return NextResponse.json(await chatSessionFor(user.id, user.displayName), { headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    if (err instanceof ChatUnavailableError) return jsonError(503, err.message);
    throw err;
  }
});
