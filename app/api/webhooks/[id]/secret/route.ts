import { NextResponse } from "next/server";
import { rotateWebhookSecret } from "../../../../../lib/webhooks/store.ts";
import { authed } from "../../../../_lib/api.ts";

/** A new signing secret, shown once; the previous one also signs for another day. */
export const POST = authed<{ id: string }>(async (user, _req, { id }) =>
  NextResponse.json(await rotateWebhookSecret(user.id, id), { headers: { "Cache-Control": "no-store" } }),
);
