import { NextResponse } from "next/server";
import { publicChat } from "../../../../lib/chat/publicChat.ts";
import { currentUser } from "../../../_lib/auth.ts";

export const dynamic = "force-dynamic";

/** Public: where the channel's chat room is, and what the viewer may do in it. */
export async function GET(_request: Request, { params }: { params: Promise<{ slug: string }> }) {
  const chat = await publicChat((await params).slug, await currentUser());
  if (!chat) return NextResponse.json({ error: "Channel not found" }, { status: 404 });
  return NextResponse.json(chat, { headers: { "Cache-Control": "no-store" } });
}
