// The whole platform for a benchmark (scripts/stack.ts), with this process
// pointed at it, and one way to take it all down again.
import path from "node:path";
import { root, startStack, type Stack, type StackOptions } from "../scripts/stack.ts";

export interface BenchChannel {
  userId: string;
  channelId: string;
  slug: string;
  key: string;
  /** Where a publisher sends to go live on it. */
  rtmpUrl: string;
}

export async function benchStack(name: string, opts: Omit<StackOptions, "name" | "logDir"> & { logDir?: string } = {}): Promise<Stack & { shutdown(): Promise<void>; channel(slug: string, settings?: { graceMinutes?: string; ladder?: string }): Promise<BenchChannel> }> {
  const stack = await startStack({ name, workers: 1, s3: false, ...opts, logDir: opts.logDir ?? path.join(root, "test-results", "bench-logs") });
  Object.assign(process.env, stack.env);
  return {
    ...stack,
    /** A creator, a channel and a stream key, made through the real rules. */
    async channel(slug, settings = {}) {
      const { signUp } = await import("../lib/accounts.ts");
      const { createChannel, createStreamKey } = await import("../lib/channels.ts");
      const user = await signUp({ email: `${slug}@bench.livehouse`, password: "benchmark-password", displayName: "Bench" }, "bench");
      const channel = await createChannel(user.id, { slug, title: "Bench", reconnectGraceMinutes: settings.graceMinutes ?? "0", ladder: settings.ladder ?? "" });
      const { key } = await createStreamKey(user.id, channel.id, "bench");
      return { userId: user.id, channelId: channel.id, slug, key, rtmpUrl: `rtmp://127.0.0.1:${stack.env.RTMP_PORT}/live/${key}` };
    },
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
