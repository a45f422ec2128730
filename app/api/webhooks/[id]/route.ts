import { NextResponse } from "next/server";
import { deleteWebhook, updateWebhook } from "../../../../lib/webhooks/store.ts";
import { authed, readJson } from "../../../_lib/api.ts";

/** Changes the URL, the events, or pauses/resumes (`enabled`). */
export const PATCH = authed<{ id: string }>(async (user, req, { id }) =>
  NextResponse.json(await updateWebhook(user.id, id, await readJson(req)), { headers: { "Cache-Control": "no-store" } }),
);

/** Deletes the webhook and its delivery log. */
export const DELETE = authed<{ id: string }>(async (user, _req, { id }) => {
  await deleteWebhook(user.id, id);
  return new Response(null, { status: 204 });
});
