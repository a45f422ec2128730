import { NextResponse } from "next/server";
import { removeJob } from "../../../../../lib/adminJobs.ts";
import { adminOnly, readJson } from "../../../../_lib/api.ts";

/** Deletes one failed job: { queue, jobId }. */
export const POST = adminOnly(async (user, req) => {
  const body = await readJson(req);
  await removeJob(user.id, body.queue, body.jobId);
  return NextResponse.json({ ok: true });
});
