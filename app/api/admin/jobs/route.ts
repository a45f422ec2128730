import { NextResponse } from "next/server";
import { jobBoard } from "../../../../lib/adminJobs.ts";
import { pageNumber } from "../../../../lib/jobSummary.ts";
import { adminOnly } from "../../../_lib/api.ts";

/** The job page's data as JSON (instance admin only): queue counts, active jobs, one page of failed jobs. */
export const GET = adminOnly(async (user, req) => {
  const page = pageNumber(new URL(req.url).searchParams.get("page") ?? undefined, Number.MAX_SAFE_INTEGER);
  return NextResponse.json(await jobBoard(user.id, page), { headers: { "Cache-Control": "no-store" } });
});
