import { NextResponse } from "next/server";
import { getPublicChannel } from "../../../../lib/channels.ts";
import { publicLiveStatus } from "../../../../lib/liveStatus.ts";
import { clientIp } from "../../../../lib/origin.ts";

export const dynamic = "force-dynamic";

/** Public: is the channel live, and where is its stream. Polled by the channel page. */
export async function GET(request: Request, { params }: { params: Promise<{ slug: string }> }) {
  const channel = await getPublicChannel((await params).slug);
  if (!channel) return NextResponse.json({ error: "Channel not found" }, { status: 404 });
  const viewer = new URL(request.url).searchParams.get("viewer");
  return NextResponse.json(await publicLiveStatus(channel.id, viewer, clientIp(request.headers)), {
    headers: { "Cache-Control": "no-store", "Access-Control-Allow-Origin": "*" },
  });
}
