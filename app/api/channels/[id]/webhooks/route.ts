import { NextResponse } from "next/server";
import { createWebhook, listWebhooks } from "../../../../../lib/webhooks/store.ts";
import { authed, readJson } from "../../../../_lib/api.ts";

const noStore = { "Cache-Control": "no-store" };

// Webhooks are managed from a logged-in browser only: a token cannot redirect a channel's events.

export const GET = authed<{ id: string }>(async (user, _req, { id }) => NextResponse.json({ webhooks: await listWebhooks(user.id, id) }, { headers: noStore }));

/** Adds a webhook. The response carries its signing secret once. */
export const POST = authed<{ id: string }>(async (user, req, { id }) => {
  const created = await createWebhook(user.id, id, await readJson(req));
  return NextResponse.json(created, { status: 201, headers: noStore });
});
