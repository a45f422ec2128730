import { NextResponse } from "next/server";
import { parseCursor, replayChatPage, type ReplayChatQuery } from "../../../../../lib/chat/replayChat.ts";
import { mediaStore } from "../../../../../lib/media/store.ts";
import { jsonError } from "../../../../_lib/api.ts";

export const dynamic = "force-dynamic";

/** Longest `at` taken (a week of seconds): beyond any replay. */
const MAX_AT = 7 * 24 * 3600;

/**
 * Public, like the replay: its chat replay a page at a time. `?at=<seconds>`:
 * the last messages shown by then and the first ones after; `?after=<cursor>`:
 * the next page. Every message carries `at`, the second of the replay it shows at.
 */
export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const sp = new URL(request.url).searchParams;
  const after = sp.get("after");
  const at = sp.get("at");
  let query: ReplayChatQuery;
  if (after !== null) {
    if (!parseCursor(after)) return jsonError(400, "after must be the `next` of an earlier answer.");
    query = { after };
  } else {
    const seconds = at === null ? 0 : Number(at);
    if ((at !== null && at.trim() === "") || !Number.isFinite(seconds) || seconds < 0 || seconds > MAX_AT) {
      return jsonError(400, "at must be seconds into the replay (a number from 0).");
    }
    query = { at: seconds };
  }
  const page = await replayChatPage(id, query, mediaStore());
  if (!page) return jsonError(404, "Replay not found");
  return NextResponse.json(page, { headers: { "Cache-Control": "no-store" } });
}
