// What the test orchestrator (scripts/test.ts) hands every test file.
import { after } from "node:test";
import { disconnectDb } from "../../lib/db.ts";
import { closeQueues } from "../../lib/queue.ts";
import { disconnectRedis } from "../../lib/redis.ts";
import { killPublishers } from "./media.ts";

export const BASE_URL = process.env.LH_TEST_BASE_URL ?? "";
if (!BASE_URL) throw new Error("Run the suite with `npm test` (it starts the services and sets LH_TEST_BASE_URL).");
export const ORIGIN = new URL(BASE_URL).origin;

/** Close pooled connections so the test process can exit. Call once per file. */
export function closeConnectionsAfter(): void {
  after(async () => {
    killPublishers();
    await closeQueues();
    await disconnectDb();
    await disconnectRedis();
  });
}
