// The instance admin's job page against the stack's real Redis, BullMQ and
// workers: a control job that can never succeed (a "finalize" for a session id
// that is not a UUID, so PostgreSQL refuses the query) fails for real in the
// workers role, is listed with its ids and reason, is retried (back in the
// queue, then failing again on its own) and removed. Nobody but the admin sees
// or changes anything, and cross-origin requests change nothing.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { JobBoard } from "../../lib/adminJobs.ts";
import type { JobSummary } from "../../lib/jobSummary.ts";
import { QUEUE } from "../../lib/queue.ts";
import { closeConnectionsAfter } from "../support/env.ts";
import { makeAdmin, makeUser, uniq, type TestUser } from "../support/fixtures.ts";
import { api, request } from "../support/http.ts";
import { control, controlJobFailed as failedFor, controlJobState as stateOf, failingControlJob as failingJob } from "../support/jobs.ts";
import { readLogs, waitFor } from "../support/live.ts";

closeConnectionsAfter();

async function board(user: TestUser, page = 1): Promise<{ status: number; body: JobBoard }> {
  const res = await api("GET", `/api/admin/jobs?page=${page}`, { cookie: user.cookie });
  return { status: res.status, body: res.status === 200 ? (JSON.parse(res.text) as JobBoard) : (null as unknown as JobBoard) };
}

/** Our job on any page of the failed list (other tests' failures may be newer). */
async function listed(admin: TestUser, id: string): Promise<JobSummary | undefined> {
  for (let page = 1; ; page++) {
    const { body } = await board(admin, page);
    const found = body.failed.jobs.find((j) => j.id === id);
    if (found || page >= body.failed.pages) return found;
  }
}

describe("admin job page", () => {
  let admin: TestUser;
  let someone: TestUser;
  let a: { id: string; sessionId: string };
  let b: { id: string; sessionId: string };
  const ours: string[] = [];

  before(async () => {
    admin = await makeAdmin();
    someone = await makeUser("not-admin");
    a = await failingJob("a");
    b = await failingJob("b");
    ours.push(a.id, b.id);
    await Promise.all([failedFor(a.id), failedFor(b.id)]);
  });

  after(async () => {
    for (const id of ours) await control().remove(id).catch(() => {});
  });

  it("lists every queue with its counts, and the failed job with its ids, reason, attempts and time", async () => {
    const { status, body } = await board(admin);
    assert.equal(status, 200);
    assert.deepEqual(body.queues.map((q) => q.name).sort(), Object.values(QUEUE).sort());
    const controlRow = body.queues.find((q) => q.name === QUEUE.control)!;
    assert.ok(controlRow.counts.failed >= 2, JSON.stringify(controlRow));
    for (const state of ["waiting", "active", "delayed", "failed", "completed"] as const) assert.equal(typeof controlRow.counts[state], "number", state);
    assert.ok(controlRow.purpose.length > 0);
    assert.ok(body.failed.total >= 2);

    const job = await listed(admin, a.id);
    assert.ok(job, "the failed job is listed");
    assert.equal(job.queue, QUEUE.control);
    assert.equal(job.name, "finalize");
    assert.equal(job.kind, "finalize");
    assert.deepEqual(job.ids, [["sessionId", a.sessionId]]);
    assert.ok(job.reason && job.reason.length > 0 && !job.reason.includes("\n"), `reason: ${job.reason}`);
    assert.equal(job.attemptsMade, 2);
    assert.equal(job.attempts, 2);
    assert.ok(job.finishedAt && Math.abs(Date.now() - job.finishedAt) < 10 * 60_000);

    // Newest first: b and a failed at about the same time, after anything older.
    const page1 = body.failed.jobs.map((j) => j.finishedAt ?? 0);
    assert.deepEqual(page1, [...page1].sort((x, y) => y - x));

    const html = await request("GET", "/admin/jobs", { headers: { cookie: admin.cookie } });
    assert.equal(html.status, 200);
    for (const text of ["live-control", "replay-export", "Retry all"]) assert.ok(html.text.includes(text), text);
    const adminPage = await request("GET", "/admin", { headers: { cookie: admin.cookie } });
    assert.ok(adminPage.text.includes('href="/admin/jobs"'), "linked from /admin");
  });

  it("answers 404 to anyone but the admin, 401 without a session, 403 cross-origin, and changes nothing", async () => {
    assert.equal((await request("GET", "/admin/jobs", { headers: { cookie: someone.cookie } })).status, 404);
    assert.equal((await board(someone)).status, 404);
    const anonymousPage = await request("GET", "/admin/jobs");
    assert.ok([303, 307, 308].includes(anonymousPage.status) || anonymousPage.text.includes("NEXT_REDIRECT"), `anonymous: ${anonymousPage.status}`);
    assert.match(String(anonymousPage.headers.location ?? anonymousPage.text), /\/login/);
    assert.equal((await api("GET", "/api/admin/jobs")).status, 401);
    const changes = [
      ["/api/admin/jobs/retry", { queue: QUEUE.control, jobId: a.id }],
      ["/api/admin/jobs/remove", { queue: QUEUE.control, jobId: a.id }],
      ["/api/admin/queues/retry-failed", { queue: QUEUE.control }],
    ] as const;
    for (const [path, body] of changes) {
      assert.equal((await api("POST", path, { cookie: someone.cookie, body })).status, 404, `non-admin ${path}`);
      assert.equal((await api("POST", path, { cookie: someone.cookie, body: "not json" })).status, 404, `non-admin ${path}, bad body`);
      assert.equal((await api("POST", path, { body })).status, 401, `anonymous ${path}`);
      assert.equal((await api("POST", path, { cookie: admin.cookie, body, origin: "http://evil.example" })).status, 403, `cross-origin ${path}`);
      assert.equal((await api("POST", path, { cookie: admin.cookie, body, origin: null })).status, 403, `no Origin ${path}`);
      assert.equal((await api("POST", path, { cookie: admin.cookie, body, site: "cross-site" })).status, 403, `Sec-Fetch-Site cross-site ${path}`);
    }
    assert.equal(await stateOf(a.id), "failed", "still failed");
    assert.equal(await stateOf(b.id), "failed");
  });

  it("refuses unknown queues and jobs, and jobs that have not failed", async () => {
    assert.equal((await api("POST", "/api/admin/jobs/retry", { cookie: admin.cookie, body: { queue: "nope", jobId: a.id } })).status, 404);
    assert.equal((await api("POST", "/api/admin/jobs/retry", { cookie: admin.cookie, body: { queue: QUEUE.export, jobId: a.id } })).status, 404, "wrong queue");
    assert.equal((await api("POST", "/api/admin/jobs/remove", { cookie: admin.cookie, body: { queue: QUEUE.control, jobId: "no-such-job" } })).status, 404);
    assert.equal((await api("POST", "/api/admin/jobs/retry", { cookie: admin.cookie, body: { queue: QUEUE.control, jobId: 42 } })).status, 404);
    assert.equal((await api("POST", "/api/admin/queues/retry-failed", { cookie: admin.cookie, body: { queue: "../etc" } })).status, 404);
    assert.equal((await api("POST", "/api/admin/jobs/retry", { cookie: admin.cookie, body: "not json" })).status, 422);
    // A finalize for a session that does not exist completes (there is nothing to close).
    const done = `test-admin-jobs-done-${uniq()}`;
    ours.push(done);
    await control().add("finalize", { kind: "finalize", sessionId: randomUUID() }, { jobId: done });
    await waitFor("the harmless job to complete", async () => (await stateOf(done)) === "completed", 60_000);
    const res = await api("POST", "/api/admin/jobs/retry", { cookie: admin.cookie, body: { queue: QUEUE.control, jobId: done } });
    assert.equal(res.status, 422);
    assert.match(res.text, /completed, not failed/);
    assert.equal(await stateOf(done), "completed");
  });

  it("retries a failed job: it is queued again with fresh attempts, runs, and fails again on its own", async () => {
    const before = (await control().getJob(a.id))!;
    const res = await api("POST", "/api/admin/jobs/retry", { cookie: admin.cookie, body: { queue: QUEUE.control, jobId: a.id } });
    assert.equal(res.status, 200, res.text);
    // Two attempts FAILING_BACKOFF_MS apart: it cannot be failed again yet.
    assert.ok(["waiting", "active", "delayed"].includes(await stateOf(a.id)), `state after retry: ${await stateOf(a.id)}`);
    const again = await failedFor(a.id);
    assert.ok(again.finishedOn! > before.finishedOn!, "it ran again");
    assert.equal(again.attemptsMade, 2, "a fresh set of attempts, all used");
    assert.ok(readLogs().split("\n").some((l) => l.includes("admin retried a failed job") && l.includes(a.id) && l.includes(admin.id) && !l.includes(a.sessionId)), "audit line without job data");
  });

  it("removes a failed job for good", async () => {
    const res = await api("POST", "/api/admin/jobs/remove", { cookie: admin.cookie, body: { queue: QUEUE.control, jobId: b.id } });
    assert.equal(res.status, 200, res.text);
    assert.equal(await stateOf(b.id), "gone");
    assert.equal(await listed(admin, b.id), undefined);
    assert.equal((await api("POST", "/api/admin/jobs/remove", { cookie: admin.cookie, body: { queue: QUEUE.control, jobId: b.id } })).status, 404, "already gone");
    assert.ok(readLogs().includes("admin removed a failed job"));
  });

  it("retries every failed job of a queue", async () => {
    const c = await failingJob("c");
    ours.push(c.id);
    await failedFor(c.id);
    const res = await api("POST", "/api/admin/queues/retry-failed", { cookie: admin.cookie, body: { queue: QUEUE.control } });
    assert.equal(res.status, 200, res.text);
    assert.ok((JSON.parse(res.text) as { retried: number }).retried >= 1);
    assert.ok(["waiting", "active", "delayed"].includes(await stateOf(c.id)), `state after retry all: ${await stateOf(c.id)}`);
    await failedFor(c.id);
  });
});
