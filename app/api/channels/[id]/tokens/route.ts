import { NextResponse } from "next/server";
import { createApiToken, listApiTokens } from "../../../../../lib/apiTokens.ts";
import { authed, readJson } from "../../../../_lib/api.ts";

const noStore = { "Cache-Control": "no-store" };

/** The channel's API tokens. Browser session only, like every token route. */
export const GET = authed<{ id: string }>(async (user, _req, { id }) => NextResponse.json({ tokens: await listApiTokens(user.id, id) }, { headers: noStore }));

/** A new token that reaches this channel only. The response carries it once. */
export const POST = authed<{ id: string }>(async (user, req, { id }) => {
  const created = await createApiToken(user.id, id, await readJson(req));
  return NextResponse.json(created, { status: 201, headers: noStore });
});
