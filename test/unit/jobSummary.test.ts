// What the admin's job page shows of a BullMQ job (lib/jobSummary.ts): ids and
// nothing that could be a secret, the first line of the failure, progress, and
// the newest-first paging across queues.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_REASON, failureLine, jobIds, newestFailedPage, pageNumber, progressPercent, summarizeJob, type JobLike, type JobSummary } from "../../lib/jobSummary.ts";

const UUID = "0b6f5c1e-4f4e-4a52-9d55-3c1f2b7a9e10";

describe("job ids", () => {
  it("shows fields named like ids (and refs, notices), in order, and nothing else", () => {
    assert.deepEqual(jobIds({ replayId: UUID }), [["replayId", UUID]]);
    assert.deepEqual(jobIds({ kind: "notice", channelId: UUID, notice: "live", ref: "part-3", replayId: UUID }), [
      ["channelId", UUID],
      ["notice", "live"],
      ["ref", "part-3"],
      ["replayId", UUID],
    ]);
    assert.deepEqual(jobIds({ kind: "grace-expired", sessionId: UUID, partIndex: 2 }), [["sessionId", UUID], ["partIndex", "2"]]);
    assert.deepEqual(jobIds({ kind: "close-room", roomId: "!abc:matrix.example.org", title: "My secret stream plans" }), [["roomId", "!abc:matrix.example.org"]]);
    for (const secretish of [{ streamKey: "lh_live_abc" }, { password: "hunter2" }, { token: "t" }, { url: "rtmp://x/live/key" }, { key: "k" }]) {
      assert.deepEqual(jobIds(secretish), [], JSON.stringify(secretish));
    }
    assert.deepEqual(jobIds(null), []);
    assert.deepEqual(jobIds("replayId"), []);
    assert.deepEqual(jobIds([UUID]), []);
  });

  it("hides values that are not shaped like ids, and redacts a stream key even in an id field", () => {
    assert.deepEqual(jobIds({ sessionId: "a b" }), [["sessionId", "(hidden)"]]);
    assert.deepEqual(jobIds({ sessionId: "rtmp://host/live/x" }), [["sessionId", "(hidden)"]]);
    assert.deepEqual(jobIds({ sessionId: { nested: UUID } }), [["sessionId", "(hidden)"]]);
    assert.deepEqual(jobIds({ sessionId: "x".repeat(121) }), [["sessionId", "(hidden)"]]);
    assert.deepEqual(jobIds({ keyId: "lh_live_AbC123xyz" }), [["keyId", "lh_live_[redacted]"]]);
  });

  it("lists at most five of a list of ids and says how many more", () => {
    const ids = Array.from({ length: 8 }, (_, i) => `s${i}`);
    assert.deepEqual(jobIds({ sessionIds: ids }), [["sessionIds", "s0, s1, s2, s3, s4 (+3 more)"]]);
    assert.deepEqual(jobIds({ sessionIds: [UUID, "not an id"] }), [["sessionIds", `${UUID}, (hidden)`]]);
  });
});

describe("failure reason", () => {
  it("is the first non-empty line (with the cause after a lead-in), trimmed, redacted and at most MAX_REASON characters", () => {
    assert.equal(failureLine("\n  \n  ffmpeg exited with code 1  \n    at run (worker.ts:1)\n"), "ffmpeg exited with code 1");
    assert.equal(failureLine(undefined), null);
    assert.equal(failureLine("   \n "), null);
    assert.equal(failureLine("could not reach rtmp://127.0.0.1/live/lh_live_Secret123"), "could not reach rtmp://127.0.0.1/live/lh_live_[redacted]");
    assert.equal(failureLine("smtp://user:pa55@mail.example failed"), "smtp://user:[redacted]@mail.example failed");
    // A lead-in line gets the cause from the last line, not the query echoed between.
    const prisma = "\nInvalid `prisma.liveSession.findUnique()` invocation:\n\n{\n  where: { id: \"x\" }\n}\n\nInconsistent column data: Error creating UUID\n";
    assert.equal(failureLine(prisma), "Invalid `prisma.liveSession.findUnique()` invocation: … Inconsistent column data: Error creating UUID");
    assert.equal(failureLine("Failed:"), "Failed:");
    const long = failureLine("x".repeat(1000))!;
    assert.equal(long.length, MAX_REASON);
    assert.ok(long.endsWith("…"));
  });
});

describe("progress", () => {
  it("is a whole percentage from 0 to 100, or null when the job reports none", () => {
    assert.equal(progressPercent(42.4), 42);
    assert.equal(progressPercent(0), 0);
    assert.equal(progressPercent(140), 100);
    assert.equal(progressPercent(-3), 0);
    assert.equal(progressPercent(Number.NaN), null);
    assert.equal(progressPercent({ percent: 40 }), null);
    assert.equal(progressPercent(undefined), null);
  });
});

const job = (over: Partial<JobLike> = {}): JobLike => ({
  id: "export-1",
  name: "export",
  data: { replayId: UUID },
  attemptsMade: 5,
  opts: { attempts: 5 },
  timestamp: 1000,
  processedOn: 2000,
  finishedOn: 3000,
  failedReason: "ENOENT: no such file\n at x",
  progress: 37,
  ...over,
});

describe("summary", () => {
  it("takes queue, id, name, kind, ids, reason, attempts, times and progress from a job", () => {
    assert.deepEqual(summarizeJob("replay-export", job()), {
      queue: "replay-export",
      id: "export-1",
      name: "export",
      kind: null,
      ids: [["replayId", UUID]],
      reason: "ENOENT: no such file",
      attemptsMade: 5,
      attempts: 5,
      queuedAt: 1000,
      startedAt: 2000,
      finishedAt: 3000,
      progress: 37,
    });
    const control = summarizeJob("live-control", job({ name: "finalize", data: { kind: "finalize", sessionId: UUID }, opts: {}, processedOn: undefined, finishedOn: undefined, failedReason: undefined, progress: 0 }));
    assert.equal(control.kind, "finalize");
    assert.equal(control.attempts, 1, "BullMQ's default is one attempt");
    assert.equal(control.startedAt, null);
    assert.equal(control.reason, null);
    assert.equal(summarizeJob("chat", job({ data: { kind: "Not A Kind!" } })).kind, null);
  });
});

describe("failed jobs across queues", () => {
  const failed = (queue: string, id: string, finishedAt: number): JobSummary => ({ ...summarizeJob(queue, job({ id, finishedOn: finishedAt })) });

  it("merges the queues newest failure first and cuts one page", () => {
    const a = [failed("chat", "c3", 30), failed("chat", "c1", 10)];
    const b = [failed("replay-export", "e4", 40), failed("replay-export", "e2", 20), failed("replay-export", "e0", 0)];
    const ids = (page: number, per: number) => newestFailedPage([a, b], page, per).map((j) => j.id);
    assert.deepEqual(ids(1, 2), ["e4", "c3"]);
    assert.deepEqual(ids(2, 2), ["e2", "c1"]);
    assert.deepEqual(ids(3, 2), ["e0"]);
    assert.deepEqual(ids(4, 2), []);
    // Same instant: a stable order (queue, then id).
    assert.deepEqual(newestFailedPage([[failed("slate", "s", 5)], [failed("chat", "c", 5)]], 1, 5).map((j) => j.id), ["c", "s"]);
  });

  it("reads a page number from the query: whole numbers within the pages, else the nearest page", () => {
    assert.equal(pageNumber("2", 3), 2);
    assert.equal(pageNumber("9", 3), 3);
    assert.equal(pageNumber("0", 3), 1);
    for (const bad of [undefined, "", "-1", "1.5", "two", "1e3", ["2"]]) assert.equal(pageNumber(bad, 3), 1, String(bad));
  });
});
