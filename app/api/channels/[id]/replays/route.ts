import { NextResponse } from "next/server";
import { listOwnerReplays } from "../../../../../lib/replays.ts";
import { authed } from "../../../../_lib/api.ts";

export const GET = authed<{ id: string }>(async (user, _req, { id }) => {
  const replays = await listOwnerReplays(user.id, id);
  return NextResponse.json(
    { replays: replays.map((r) => ({ ...r, exportBytes: r.exportBytes === null ? null : Number(r.exportBytes) })) },
    { headers: { "Cache-Control": "no-store" } },
  );
});
