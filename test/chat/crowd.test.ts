// Chat for a crowd, through the real stack (web, appservice, Redis, Synapse):
// hundreds of readers on the feed cost the homeserver nothing, posting guests
// (the widget's own sender code) get in during a rush of joins, and every
// reader sees every message exactly once, in order, with redactions applied.
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { compareStreamIds } from "../../lib/chat/feed.ts";
import type { PublicChat } from "../../lib/chat/publicChat.ts";
import { ChatSender } from "../../app/_components/chat/chatSender.ts";
import { freePort, waitForHttp } from "../../scripts/ports.ts";
import { WEB, startRole, type SupervisedRole } from "../../scripts/roles.ts";
import { BASE_URL, closeConnectionsAfter } from "../support/env.ts";
import { FeedReader } from "../support/feedReader.ts";
import { makeChannel, makeUser, uniq, type TestUser } from "../support/fixtures.ts";
import { api } from "../support/http.ts";
import { channelRoom, synapseRequestCount, waitFor } from "../support/matrix.ts";

closeConnectionsAfter();

const READERS = 500;
const POSTERS = 20;

let owner: TestUser;
let channelId: string;
let slug: string;
let chat: PublicChat;
const readers: FeedReader[] = [];

/** Readers spread over the given web processes, opened in waves like a page-load rush. */
async function openReaders(n: number, webs = [BASE_URL]): Promise<FeedReader[]> {
  const opened: FeedReader[] = [];
  for (let i = 0; i < n; i += 50) {
    const wave = Array.from({ length: Math.min(50, n - i) }, (_, j) => new FeedReader(`${webs[(i + j) % webs.length]}/api/chat/${slug}/feed`));
    await Promise.all(wave.map((r) => r.start()));
    opened.push(...wave);
  }
  readers.push(...opened);
  return opened;
}

function senders(n: number, queued: Set<number>): ChatSender[] {
  return Array.from({ length: n }, (_, k) => new ChatSender(chat, slug, (q) => q && queued.add(k)));
}

/** Posts `perSender` messages from each sender (senders in parallel, each in order); returns the event ids per sender. */
async function post(list: ChatSender[], perSender: number, tag: string): Promise<string[][]> {
  return Promise.all(
    list.map(async (s, k) => {
      const ids: string[] = [];
      for (let i = 0; i < perSender; i++) ids.push(await s.send(`${tag} ${k}.${i}`, `Crowd ${k}`));
      return ids;
    }),
  );
}

before(async () => {
  owner = await makeUser("crowdowner");
  const channel = await makeChannel(owner, "Crowded");
  channelId = channel.id;
  slug = channel.slug;
  await channelRoom(channelId);
  const res = await fetch(`${BASE_URL}/api/chat/${slug}`);
  chat = (await res.json()) as PublicChat;
  assert.ok(chat.roomId);
});

let secondWeb: SupervisedRole | null = null;

after(() => {
  for (const r of readers) r.close();
  secondWeb?.stop();
});

/** Another web process on the same Redis: viewers spread over several scale the same way. */
async function startSecondWeb(): Promise<string> {
  const port = await freePort();
  secondWeb = startRole(WEB, { env: { ...process.env, WEB_PORT: String(port) }, label: "web-2", logFile: path.join(process.env.LH_TEST_LOG_DIR!, "web-2.log") });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/api/health`);
  return url;
}

describe("chat for a crowd", () => {
  it(`${READERS} readers on two web processes and ${POSTERS} posting guests: each message reaches each reader once, in order, redactions applied; readers cost the homeserver nothing`, async () => {
    const queued = new Set<number>();
    const posters = senders(POSTERS, queued);
    // Everyone in the room first, so both rounds below measure posting alone.
    await post(posters, 1, `warm-up ${uniq()}`);

    const few = await openReaders(10);
    const beforeFew = await synapseRequestCount();
    const roundA = (await post(posters, 3, `round A ${uniq()}`)).flat();
    const requestsFew = (await synapseRequestCount()) - beforeFew;
    await waitFor("10 readers to have round A", async () => few.every((r) => roundA.every((id) => r.messageIds().includes(id))), 30_000);

    // Half of the crowd on a second web process.
    const crowd = await openReaders(READERS - few.length, [BASE_URL, await startSecondWeb()]);
    const everyone = [...few, ...crowd];
    // One reader loses its connection: it comes back with Last-Event-ID and resumes, no fresh page.
    const dropped = few[0];
    dropped.drop();
    const beforeMany = await synapseRequestCount();
    const perSender = await post(posters, 3, `round B ${uniq()}`);
    const requestsMany = (await synapseRequestCount()) - beforeMany;
    const roundB = perSender.flat();
    // Readers do not talk to the homeserver at all: the same posting costs the same with 50× the readers.
    assert.ok(requestsMany <= requestsFew * 1.5 + 20, `Synapse requests while posting: ${requestsFew} with 10 readers, ${requestsMany} with ${READERS}`);

    const victims = [roundB[1], roundB[7], roundB[20], roundB[33], roundB[roundB.length - 1]];
    for (const eventId of victims) {
      const res = await api("POST", `/api/channels/${channelId}/chat/moderate`, { cookie: owner.cookie, body: { action: "redact", eventId } });
      assert.equal(res.status, 200, res.text);
    }

    await waitFor(
      `all ${READERS} readers to have round B and its redactions`,
      async () => everyone.every((r) => roundB.every((id) => r.messageIds().includes(id)) && victims.every((id) => r.redactedIds().includes(id))),
      60_000,
    );
    assert.equal(dropped.pages.length, 1, "the dropped reader resumed where it was instead of starting over");
    const reference = crowd[0].messageIds();
    for (const [i, r] of everyone.entries()) {
      const ids = r.messageIds();
      assert.equal(new Set(ids).size, ids.length, `reader ${i} got a message twice`);
      const b = ids.filter((id) => roundB.includes(id));
      assert.deepEqual(b, reference.filter((id) => roundB.includes(id)), `reader ${i} saw round B in another order`);
      for (const mine of perSender) assert.deepEqual(b.filter((id) => mine.includes(id)), mine, `reader ${i}: one sender's messages out of order`);
      const sids = r.live.map((x) => x.sid);
      assert.deepEqual([...sids].sort(compareStreamIds), sids, `reader ${i}: entries out of stream order`);
    }
    console.log(`# crowd: ${everyone.length} readers; Synapse requests for 60 messages: ${requestsFew} with 10 readers, ${requestsMany} with ${READERS}; posters queued for a join: ${queued.size}`);
  });

  it("a rush of 100 joins in 10 s: every posting viewer gets in, and readers meanwhile keep reading", async () => {
    const watchers = readers.slice(0, 5);
    const queued = new Set<number>();
    const rush = senders(100, queued);
    const tag = `rush ${uniq()}`;
    const sent = await Promise.all(
      rush.map(async (s, k) => {
        await new Promise((r) => setTimeout(r, k * 100));
        return s.send(`${tag} ${k}`, `Raider ${k}`);
      }),
    );
    assert.equal(new Set(sent).size, 100, "every raider's message was sent");
    await waitFor("the readers to see every raider", async () => watchers.every((r) => sent.every((id) => r.messageIds().includes(id))), 60_000);
    console.log(`# rush: 100 joins over 10 s; ${queued.size} waited in the join queue`);
  });
});
