import { NextResponse } from "next/server";
import { mediaStore } from "../../../../lib/media/store.ts";
import { deleteReplay, renameReplay } from "../../../../lib/replays.ts";
import { authed, readJson, type TokenAccess } from "../../../_lib/api.ts";

const replayAccess: TokenAccess<{ id: string }> = { scope: "replays:manage", resource: ({ id }) => ({ replay: id }) };

export const PATCH = authed<{ id: string }>(async (user, req, { id }) => {
  const body = await readJson(req);
  return NextResponse.json(await renameReplay(user.id, id, body.title));
}, replayAccess);

/** Deletes the replay and its files. */
export const DELETE = authed<{ id: string }>(async (user, _req, { id }) => {
  await deleteReplay(user.id, id, mediaStore());
  return new Response(null, { status: 204 });
}, replayAccess);
