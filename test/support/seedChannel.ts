// Run as a child process with another platform's environment (its own database):
// makes a creator, a channel and a stream key through the real rules and prints
// them as one JSON line. The test process's own db() is the main test stack's.
import { createChannel, createStreamKey } from "../../lib/channels.ts";
import { signUp } from "../../lib/accounts.ts";
import { disconnectDb } from "../../lib/db.ts";
import { closeQueues } from "../../lib/queue.ts";
import { disconnectRedis } from "../../lib/redis.ts";
import { createSession, SESSION_COOKIE } from "../../lib/sessions.ts";

const slug = process.argv[2];
const ladder = process.argv[3] ?? "";
const user = await signUp({ email: `${slug}@distributed.test`, password: `pw-${slug}-${slug}`, displayName: slug }, `seed-${slug}`);
const channel = await createChannel(user.id, { slug, title: `Distributed ${slug}`, reconnectGraceMinutes: "0", ladder });
const { key } = await createStreamKey(user.id, channel.id, "OBS");
const { token } = await createSession(user.id);
console.log(JSON.stringify({ userId: user.id, channelId: channel.id, slug, key, cookie: `${SESSION_COOKIE}=${token}` }));
await closeQueues();
await disconnectDb();
await disconnectRedis();
process.exit(0);
