// Lets a one-shot script exit: closes the database and Redis connections it opened.
import { disconnectDb } from "../lib/db.ts";
import { disconnectRedis } from "../lib/redis.ts";

export async function closeConnections(): Promise<void> {
  await Promise.allSettled([disconnectDb(), disconnectRedis()]);
}
