import { NextResponse } from "next/server";
import { retryAllFailed } from "../../../../../lib/adminJobs.ts";
import { adminOnly, readJson } from "../../../../_lib/api.ts";

/** Runs every failed job of one queue again: { queue } → { retried }. */
export const POST = adminOnly(async (user, req) => {
  const body = await readJson(req);
  return NextResponse.json({ retried: await retryAllFailed(user.id, body.queue) });
});
