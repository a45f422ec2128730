import { NextResponse } from "next/server";
import { isUuid } from "../../../../../lib/channels.ts";
import { NotFoundError } from "../../../../../lib/errors.ts";
import { endSessionByOwner } from "../../../../../lib/liveSessions.ts";
import { authed } from "../../../../_lib/api.ts";

/** End stream: ends the session, disconnects the publisher, closes the playlists. */
export const POST = authed<{ id: string }>(async (user, _req, { id }) => {
  if (!isUuid(id)) throw new NotFoundError("Live session not found");
  const status = await endSessionByOwner(user.id, id);
  return NextResponse.json({ status: status ?? "ended" });
}, { scope: "stream:end", resource: ({ id }) => ({ liveSession: id }) });
