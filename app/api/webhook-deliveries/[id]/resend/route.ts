import { NextResponse } from "next/server";
import { resendDelivery } from "../../../../../lib/webhooks/store.ts";
import { authed } from "../../../../_lib/api.ts";

/** Send again: the same event as a new delivery. */
export const POST = authed<{ id: string }>(async (user, _req, { id }) =>
  NextResponse.json(await resendDelivery(user.id, id), { status: 202, headers: { "Cache-Control": "no-store" } }),
);
