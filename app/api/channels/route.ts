import { NextResponse } from "next/server";
import { listOwnedChannels } from "../../../lib/channels.ts";
import { authed } from "../../_lib/api.ts";

/** The caller's channels (a channel token sees its own channel only): how a script finds channel ids. */
export const GET = authed(async (user, _req, _params, caller) => {
  const channels = await listOwnedChannels(user.id, caller.via === "token" ? caller.channelId : null);
  return NextResponse.json({ channels }, { headers: { "Cache-Control": "no-store" } });
}, { scope: "channel:read", resource: "account" });
