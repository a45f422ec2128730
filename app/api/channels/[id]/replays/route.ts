import { NextResponse } from "next/server";
import { listOwnerReplays } from "../../../../../lib/replays.ts";
import { statsViews } from "../../../../../lib/stats/statsView.ts";
import { authed } from "../../../../_lib/api.ts";

export const GET = authed<{ id: string }>(async (user, _req, { id }) => {
  const replays = await listOwnerReplays(user.id, id);
  const stats = await statsViews(replays.map((r) => r.sessionId));
  return NextResponse.json(
    { replays: replays.map((r) => ({ ...r, stats: stats.get(r.sessionId) ?? null })) },
    { headers: { "Cache-Control": "no-store" } },
  );
}, { scope: "channel:read", resource: ({ id }) => ({ channel: id }) });
