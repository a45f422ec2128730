import { NextResponse } from "next/server";
import { chatModerationState, updateChatSettings } from "../../../../../lib/chat/store.ts";
import { roomAlias } from "../../../../../lib/matrix/ids.ts";
import { authed, readJson, type TokenAccess } from "../../../../_lib/api.ts";

const chatAccess: TokenAccess<{ id: string }> = { scope: "chat:moderate", resource: ({ id }) => ({ channel: id }) };

/** Owner: the room, its moderators, bans and timeouts, and the chat settings. */
export const GET = authed<{ id: string }>(async (user, _req, { id }) => {
  const s = await chatModerationState(user.id, id);
  return NextResponse.json(
    {
      roomId: s.matrixRoomId,
      alias: roomAlias(s.slug),
      slowModeSeconds: s.chatSlowModeSeconds,
      wordFilter: s.chatWordFilter,
      messageCount: s.chatMessageCount,
      moderators: s.chatModerators,
      bans: s.chatBans,
    },
    { headers: { "Cache-Control": "no-store" } },
  );
}, chatAccess);

/** Owner: slow mode seconds and the word filter (one word or phrase per line). */
export const PUT = authed<{ id: string }>(async (user, request, { id }) => {
  const saved = await updateChatSettings(user.id, id, await readJson(request, 24_000));
  return NextResponse.json(saved, { headers: { "Cache-Control": "no-store" } });
}, chatAccess);
