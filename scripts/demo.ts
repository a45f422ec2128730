// The demo account, channel and stream key that `npm start` prints. The password
// is made once and kept in .livehouse/demo.json (mode 600); the stream key is
// replaced on every start, because only its hash is stored.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { signUp } from "../lib/accounts.ts";
import { createChannel, createStreamKey } from "../lib/channels.ts";
import { db } from "../lib/db.ts";

const root = path.resolve(import.meta.dirname, "..");
const DEMO_EMAIL = "demo@livehouse.local";
const DEMO_SLUG = "demo";
const DEMO_KEY_LABEL = "npm start demo key";

export interface Demo {
  email: string;
  password: string;
  slug: string;
  streamKey: string;
}

export async function ensureDemo(): Promise<Demo> {
  const file = path.join(root, ".livehouse", "demo.json");
  let user = await db().user.findUnique({ where: { email: DEMO_EMAIL } });
  let password: string;
  if (user && existsSync(file)) {
    password = JSON.parse(readFileSync(file, "utf8")).password;
  } else {
    if (user) await db().user.delete({ where: { id: user.id } }); // its password was lost with .livehouse/
    password = randomBytes(9).toString("base64url");
    const created = await signUp({ email: DEMO_EMAIL, password, displayName: "Demo Creator" }, "demo-seed");
    user = await db().user.findUniqueOrThrow({ where: { id: created.id } });
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({ email: DEMO_EMAIL, password }), { mode: 0o600 });
  }
  let channel = await db().channel.findFirst({ where: { ownerId: user.id, slug: DEMO_SLUG } });
  if (!channel) {
    channel = await createChannel(user.id, {
      slug: DEMO_SLUG,
      title: "Demo channel",
      description: "Created by npm start. Publish to it with the stream key printed in the terminal.",
    });
  }
  await db().streamKey.updateMany({
    where: { channelId: channel.id, label: DEMO_KEY_LABEL, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  const { key } = await createStreamKey(user.id, channel.id, DEMO_KEY_LABEL);
  return { email: DEMO_EMAIL, password, slug: channel.slug, streamKey: key };
}
