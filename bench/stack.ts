// The whole platform for a benchmark (scripts/stack.ts), with this process
// pointed at it, and one way to take it all down again.
import path from "node:path";
import { root, startStack, type Stack } from "../scripts/stack.ts";

export async function benchStack(name: string, opts: { segmentSeconds?: number; workers?: number } = {}): Promise<Stack & { shutdown(): Promise<void> }> {
  const stack = await startStack({ name, logDir: path.join(root, "test-results", "bench-logs"), workers: 1, ...opts });
  Object.assign(process.env, stack.env);
  return {
    ...stack,
    async shutdown() {
      const { closeQueues } = await import("../lib/queue.ts");
      const { disconnectDb } = await import("../lib/db.ts");
      const { disconnectRedis } = await import("../lib/redis.ts");
      await closeQueues();
      await disconnectDb();
      await disconnectRedis();
      await stack.stop();
    },
  };
}
