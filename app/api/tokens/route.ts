import { NextResponse } from "next/server";
import { createApiToken, listApiTokens } from "../../../lib/apiTokens.ts";
import { authed, readJson } from "../../_lib/api.ts";

const noStore = { "Cache-Control": "no-store" };

// Tokens are managed from a logged-in browser only: a token cannot make tokens.

/** The account's API tokens (not channel tokens): label, hint, scopes, created, last used. */
export const GET = authed(async (user) => NextResponse.json({ tokens: await listApiTokens(user.id, null) }, { headers: noStore }));

/** A new account token. The response carries it once; only its hash is kept. */
export const POST = authed(async (user, req) => {
  const created = await createApiToken(user.id, null, await readJson(req));
  return NextResponse.json(created, { status: 201, headers: noStore });
});
