import { NextResponse } from "next/server";
import { ownerSessionStats } from "../../../../../lib/stats/statsView.ts";
import { authed } from "../../../../_lib/api.ts";

/** The owner's statistics of one live session, with every viewer-count sample. */
export const GET = authed<{ id: string }>(
  async (user, _req, { id }) => NextResponse.json(await ownerSessionStats(user.id, id), { headers: { "Cache-Control": "no-store" } }),
  { scope: "channel:read", resource: ({ id }) => ({ liveSession: id }) },
);
