import { NextResponse } from "next/server";
import { mediaStore } from "../../../../lib/media/store.ts";
import { deleteReplay, renameReplay } from "../../../../lib/replays.ts";
import { authed, readJson } from "../../../_lib/api.ts";

export const PATCH = authed<{ id: string }>(async (user, req, { id }) => {
  const body = await readJson(req);
  return NextResponse.json(await renameReplay(user.id, id, body.title));
});

/** Deletes the replay and its files. */
export const DELETE = authed<{ id: string }>(async (user, _req, { id }) => {
  await deleteReplay(user.id, id, mediaStore());
  return new Response(null, { status: 204 });
});
