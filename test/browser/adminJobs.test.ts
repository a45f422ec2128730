// The admin's job page in Chromium: reached from /admin, queue counts, a job
// that failed for real in the workers role, and Retry.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { QUEUE } from "../../lib/queue.ts";
import { closeBrowserAfter, pageAs, screenshot } from "../support/browser.ts";
import { closeConnectionsAfter } from "../support/env.ts";
import { makeAdmin } from "../support/fixtures.ts";
import { control, controlJobFailed, controlJobState, failingControlJob } from "../support/jobs.ts";

closeConnectionsAfter();
closeBrowserAfter();

describe("admin job page in Chromium", () => {
  const ours: string[] = [];
  after(async () => {
    for (const id of ours) await control().remove(id).catch(() => {});
  });

  it("shows the queues and a failed job, and Retry runs it again", async () => {
    const admin = await makeAdmin("jobs-boss");
    // A long backoff: once retried, the job stays queued long enough for the page to show it gone from "Failed".
    const job = await failingControlJob("browser", 15_000);
    ours.push(job.id);
    const failed = await controlJobFailed(job.id);

    const { page, context } = await pageAs(admin);
    await page.goto("/admin");
    await page.getByRole("link", { name: /failed jobs/ }).click();
    await page.waitForURL("**/admin/jobs");

    const rows = page.getByTestId("queue-row");
    assert.equal(await rows.count(), Object.values(QUEUE).length);
    const controlFailed = Number(await page.locator(`[data-testid="queue-row"][data-queue="${QUEUE.control}"] [data-state="failed"]`).innerText());
    assert.ok(controlFailed >= 1, `failed count ${controlFailed}`);
    for (const name of Object.values(QUEUE)) {
      const cells = page.locator(`[data-testid="queue-row"][data-queue="${name}"] td[data-state]`);
      assert.equal(await cells.count(), 5, name);
      for (const text of await cells.allInnerTexts()) assert.match(text, /^\d+$/, `${name}: ${text}`);
    }

    const row = page.locator(`[data-testid="failed-job"][data-job-id="${job.id}"]`);
    await row.waitFor();
    const text = await row.innerText();
    assert.ok(text.includes(job.sessionId), "its ids");
    assert.ok(text.includes("2 of 2"), "attempts made of allowed");
    assert.ok(text.includes("finalize"));
    await screenshot(page, "admin-jobs");

    await row.getByRole("button", { name: /^Retry / }).click();
    await row.waitFor({ state: "detached" });
    assert.notEqual(await controlJobState(job.id), "gone");
    const again = await controlJobFailed(job.id);
    assert.ok(again.finishedOn! > failed.finishedOn!, "the retried job ran again");
    await context.close();
  });
});
