import { NextResponse } from "next/server";
import { dashboardLiveStatus } from "../../../../../lib/liveStatus.ts";
import { authed } from "../../../../_lib/api.ts";

/** The owner's view: status, stream health, viewers. */
export const GET = authed<{ id: string }>(async (user, _req, { id }) =>
  NextResponse.json(await dashboardLiveStatus(user.id, id), { headers: { "Cache-Control": "no-store" } }),
  { scope: "channel:read", resource: ({ id }) => ({ channel: id }) },
);
