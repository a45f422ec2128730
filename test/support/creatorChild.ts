// Makes a creator, a channel and a stream key through the real rules, in the database
// named by this process's environment (a stack of a test's own), and prints them as JSON.
import { signUp } from "../../lib/accounts.ts";
import { createChannel, createStreamKey } from "../../lib/channels.ts";
import { disconnectDb } from "../../lib/db.ts";
import { disconnectRedis } from "../../lib/redis.ts";

const slug = process.argv[2];
const user = await signUp({ email: `${slug}@test.livehouse`, password: "a test password", displayName: "One Process" }, "test");
const channel = await createChannel(user.id, { slug, title: "One process", reconnectGraceMinutes: "0", ladder: "" });
const { key } = await createStreamKey(user.id, channel.id, "test");
process.stdout.write(`${JSON.stringify({ slug, key })}\n`);
await disconnectDb();
await disconnectRedis();
process.exit(0);
