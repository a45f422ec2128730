import { NextResponse } from "next/server";
import { listDeliveries } from "../../../../../lib/webhooks/store.ts";
import { authed } from "../../../../_lib/api.ts";

/** The delivery log: the latest 50 deliveries, newest first. */
export const GET = authed<{ id: string }>(async (user, _req, { id }) =>
  NextResponse.json({ deliveries: await listDeliveries(user.id, id) }, { headers: { "Cache-Control": "no-store" } }),
);
