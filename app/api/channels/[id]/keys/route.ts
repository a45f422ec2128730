import { NextResponse } from "next/server";
import { createStreamKey, listStreamKeys } from "../../../../../lib/channels.ts";
import { authed, readJson, type TokenAccess } from "../../../../_lib/api.ts";

const noStore = { "Cache-Control": "no-store" };
const keysAccess: TokenAccess<{ id: string }> = { scope: "keys:manage", resource: ({ id }) => ({ channel: id }) };

export const GET = authed<{ id: string }>(async (user, _req, { id }) => {
  return NextResponse.json({ keys: await listStreamKeys(user.id, id) }, { headers: noStore });
}, keysAccess);

/** The response carries the plaintext key once; it is never retrievable again. */
export const POST = authed<{ id: string }>(async (user, req, { id }) => {
  const body = await readJson(req);
  const created = await createStreamKey(user.id, id, body.label);
  return NextResponse.json(created, { status: 201, headers: noStore });
}, keysAccess);
