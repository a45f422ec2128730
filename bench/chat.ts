// npm run bench:chat — chat latency through the real Synapse: 50 guests joined
// to one channel room (each keeping its own /sync long-poll open, as a widget
// does), together sending 20 messages a second for 30 s; a separate listening
// client measures send → receive for every message. The appservice sees every
// message too (its word filter and slow mode run on each), as in production.
import { randomBytes } from "node:crypto";
import { benchStack } from "./stack.ts";

const GUESTS = Number(process.env.BENCH_CHAT_GUESTS ?? 50);
const RATE = Number(process.env.BENCH_CHAT_RATE ?? 20);
const SECONDS = Number(process.env.BENCH_CHAT_SECONDS ?? 30);

const stack = await benchStack("benchchat");
const { signUp } = await import("../lib/accounts.ts");
const { createChannel } = await import("../lib/channels.ts");
const { db } = await import("../lib/db.ts");
const hs = stack.env.MATRIX_HOMESERVER_URL!;

interface Client {
  userId: string;
  token: string;
}

async function mx<T>(c: Client | null, method: string, p: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const res = await fetch(`${hs}${p}`, {
    method,
    signal,
    headers: { ...(c ? { Authorization: `Bearer ${c.token}` } : {}), ...(body ? { "Content-Type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${data.error}`);
  return data;
}

async function guest(name: string, roomId: string): Promise<Client> {
  const r = await mx<{ user_id: string; access_token: string }>(null, "POST", "/_matrix/client/v3/register?kind=guest", {});
  const c = { userId: r.user_id, token: r.access_token };
  await mx(c, "PUT", `/_matrix/client/v3/profile/${encodeURIComponent(c.userId)}/displayname`, { displayname: name });
  await mx(c, "POST", `/_matrix/client/v3/join/${encodeURIComponent(roomId)}`, {});
  return c;
}

type TimelineEvent = { type: string; content: { body?: string }; sender: string };
const FILTER = { room: { state: { lazy_load_members: true }, timeline: { limit: 50 }, ephemeral: { types: [] }, account_data: { types: [] } }, presence: { types: [] }, account_data: { types: [] } };

/** A /sync long-poll loop like a chat widget's; calls onEvent for each timeline event. */
function syncLoop(c: Client, roomId: string, stop: AbortSignal, onEvent?: (e: TimelineEvent, at: number) => void): Promise<void> {
  return (async () => {
    const filter = encodeURIComponent(JSON.stringify(FILTER));
    let since = (await mx<{ next_batch: string }>(c, "GET", `/_matrix/client/v3/sync?filter=${filter}&timeout=0`)).next_batch;
    while (!stop.aborted) {
      try {
        const r = await mx<{ next_batch: string; rooms?: { join?: Record<string, { timeline?: { events: TimelineEvent[] } }> } }>(
          c, "GET", `/_matrix/client/v3/sync?${process.env.BENCH_NOFILTER ? "" : `filter=${filter}&`}timeout=30000&since=${since}`, undefined, stop,
        );
        const at = performance.now();
        since = r.next_batch;
        for (const e of r.rooms?.join?.[roomId]?.timeline?.events ?? []) onEvent?.(e, at);
      } catch (err) {
        if (!stop.aborted) throw err;
      }
    }
  })();
}

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.max(0, Math.ceil((p / 100) * xs.length) - 1))];

let exitCode = 0;

async function channelRoom(title: string): Promise<{ channelId: string; roomId: string }> {
  const owner = await signUp({ email: `bench-${randomBytes(3).toString("hex")}@bench.livehouse`, password: randomBytes(12).toString("hex"), displayName: "Bench" }, "bench");
  const channel = await createChannel(owner.id, { slug: `bench-${randomBytes(3).toString("hex")}`, title, description: "", reconnectGraceMinutes: "1", ladder: "" });
  for (let i = 0; i < 100; i++) {
    const roomId = (await db().channel.findUnique({ where: { id: channel.id } }))?.matrixRoomId;
    if (roomId) return { channelId: channel.id, roomId };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the appservice did not create the room");
}

interface Result {
  p50: number;
  p95: number;
  problems: number;
}

/** One run in a fresh room; `syncingGuests` of the guests also keep a /sync long-poll open. */
async function scenario(label: string, syncingGuests: number): Promise<Result> {
  const { channelId, roomId } = await channelRoom(label);
  const t0 = performance.now();
  const guests: Client[] = [];
  for (let i = 0; i < GUESTS; i += 10) guests.push(...(await Promise.all(Array.from({ length: Math.min(10, GUESTS - i) }, (_, j) => guest(`guest ${i + j}`, roomId)))));
  const listener = await guest("listener", roomId);
  console.log(`\n${label}: ${GUESTS} guests + 1 listener registered and joined in ${((performance.now() - t0) / 1000).toFixed(1)} s; ${syncingGuests} of the guests long-poll /sync`);

  const stop = new AbortController();
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  const tag = randomBytes(3).toString("hex");
  const re = new RegExp(`^bench ${tag} (\\d+)$`);
  const loops = guests.slice(0, syncingGuests).map((g) => syncLoop(g, roomId, stop.signal));
  loops.push(
    syncLoop(listener, roomId, stop.signal, (e, at) => {
      const m = e.type === "m.room.message" ? re.exec(e.content.body ?? "") : null;
      const sent = m ? sentAt.get(Number(m[1])) : undefined;
      if (sent !== undefined) {
        latencies.push(at - sent);
        sentAt.delete(Number(m![1]));
      }
    }),
  );
  await new Promise((r) => setTimeout(r, 1000)); // every loop is parked in its long poll

  const total = RATE * SECONDS;
  const sendErrors: string[] = [];
  const putMs: number[] = [];
  const sends: Promise<unknown>[] = [];
  const start = performance.now();
  for (let seq = 0; seq < total; seq++) {
    const due = start + (seq * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const g = guests[seq % guests.length];
    const putStart = performance.now();
    sentAt.set(seq, putStart);
    sends.push(
      mx(g, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/b${tag}${seq}`, { msgtype: "m.text", body: `bench ${tag} ${seq}` })
        .then(() => putMs.push(performance.now() - putStart))
        .catch((err) => sendErrors.push(String(err))),
    );
  }
  await Promise.all(sends);
  const sendSeconds = (performance.now() - start) / 1000;
  const until = Date.now() + 10_000;
  while (latencies.length + sendErrors.length < total && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  stop.abort();
  await Promise.allSettled(loops);

  latencies.sort((a, b) => a - b);
  putMs.sort((a, b) => a - b);
  const lost = total - latencies.length;
  console.log(`  sent ${total} messages in ${sendSeconds.toFixed(1)} s (${(total / sendSeconds).toFixed(1)}/s); ${sendErrors.length} send errors; ${lost} not received`);
  if (sendErrors.length) console.log(`  first send error: ${sendErrors[0]}`);
  console.log(`  send→receive latency ms: p50 ${pct(latencies, 50).toFixed(0)}, p95 ${pct(latencies, 95).toFixed(0)}, p99 ${pct(latencies, 99).toFixed(0)}, max ${latencies.at(-1)!.toFixed(0)}`);
  console.log(`  send request (PUT) ms: p50 ${pct(putMs, 50).toFixed(0)}, p95 ${pct(putMs, 95).toFixed(0)}`);
  await new Promise((r) => setTimeout(r, 2000));
  const counted = (await db().channel.findUniqueOrThrow({ where: { id: channelId } })).chatMessageCount;
  console.log(`  the appservice saw ${counted} of them`);
  return { p50: pct(latencies, 50), p95: pct(latencies, 95), problems: lost + sendErrors.length };
}

try {
  // The issue's measure: 50 guests in the room sending, latency at one listening client.
  const main = await scenario(`${GUESTS} guests, 1 listening client`, 0);
  // Every viewer's widget long-polls /sync: the whole room's fan-out, reported for scale.
  const fanout = process.env.BENCH_CHAT_SKIP_FANOUT ? null : await scenario("fan-out (every guest syncing)", GUESTS);
  if (main.problems || fanout?.problems) exitCode = 1;
  if (fanout) console.log(`\nchat p95 ms with all ${GUESTS} guests syncing: ${fanout.p95.toFixed(0)}`);
  console.log(`chat p95 ms: ${main.p95.toFixed(0)}`);
} catch (err) {
  console.error(err);
  exitCode = 1;
} finally {
  await stack.shutdown();
}
process.exit(exitCode);
