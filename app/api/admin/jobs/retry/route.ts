import { NextResponse } from "next/server";
import { retryJob } from "../../../../../lib/adminJobs.ts";
import { adminOnly, readJson } from "../../../../_lib/api.ts";

/** Runs one failed job again: { queue, jobId }. */
export const POST = adminOnly(async (user, req) => {
  const body = await readJson(req);
  await retryJob(user.id, body.queue, body.jobId);
  return NextResponse.json({ ok: true });
});
