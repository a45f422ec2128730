import { NextResponse } from "next/server";
import { ChatRefusedError, ChatTargetMissingError, ChatUnavailableError, moderateChat } from "../../../../../../lib/chat/appserviceClient.ts";
import { moderationSchema } from "../../../../../../lib/chat/rules.ts";
import { canModerate } from "../../../../../../lib/chat/store.ts";
import { db } from "../../../../../../lib/db.ts";
import { authed, jsonError, readJson } from "../../../../../_lib/api.ts";

/** Ban, unban, time out, kick, delete a message, appoint moderators: owner or moderator. */
export const POST = authed<{ id: string }>(async (user, request, { id }) => {
  if (!(await canModerate(user.id, id))) return jsonError(404, "Channel not found");
  const parsed = moderationSchema.safeParse(await readJson(request));
  if (!parsed.success) return jsonError(422, parsed.error.issues[0]?.message ?? "Invalid moderation command.");
  const owner = await db().channel.findFirst({ where: { id, ownerId: user.id }, select: { id: true } });
  try {
    await moderateChat(id, parsed.data, owner ? "owner" : "moderator");
  } catch (err) {
    if (err instanceof ChatTargetMissingError) return jsonError(404, err.message);
    if (err instanceof ChatRefusedError) return jsonError(422, err.message);
    if (err instanceof ChatUnavailableError) return jsonError(503, err.message);
    throw err;
  }
  return NextResponse.json({ ok: true }, { headers: { "Cache-Control": "no-store" } });
}, { scope: "chat:moderate", resource: ({ id }) => ({ channel: id }) });
