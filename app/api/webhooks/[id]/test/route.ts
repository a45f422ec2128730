import { NextResponse } from "next/server";
import { sendTestEvent } from "../../../../../lib/webhooks/store.ts";
import { authed } from "../../../../_lib/api.ts";

/** Queues a `webhook.test` event to this webhook; the delivery log shows how it went. */
export const POST = authed<{ id: string }>(async (user, _req, { id }) =>
  NextResponse.json(await sendTestEvent(user.id, id), { status: 202, headers: { "Cache-Control": "no-store" } }),
);
