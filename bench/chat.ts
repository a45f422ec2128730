// npm run bench:chat — chat for a crowd through the real stack: 20 guests
// joined to one channel room send 20 messages a second for 30 s (through
// Synapse, as the widget does), while N viewers read the channel's feed (SSE
// from the web tier, as the widget does). Measured per (reader, message): send
// → seen; and Synapse's CPU seconds per message, with 50 and with 500
// readers. One Matrix client long-polling /sync (an Element user) is timed too.
import { randomBytes } from "node:crypto";
import { readFileSync, readdirSync } from "node:fs";
import { FeedReader } from "../test/support/feedReader.ts";
import { benchStack } from "./stack.ts";

const POSTERS = Number(process.env.BENCH_CHAT_POSTERS ?? 20);
const RATE = Number(process.env.BENCH_CHAT_RATE ?? 20);
const SECONDS = Number(process.env.BENCH_CHAT_SECONDS ?? 30);
const CROWDS = (process.env.BENCH_CHAT_READERS ?? "50,500").split(",").map(Number);
/** Element users long-polling /sync beside the feed readers (0 for none). */
const MATRIX_CLIENTS = Number(process.env.BENCH_CHAT_MATRIX_CLIENTS ?? 1);
/**
 * First, the same messages with one reader and no Matrix client: what the homeserver alone
 * takes to accept them (its answer to the sender) on this machine, in this run. A reader
 * cannot see a message before the homeserver has accepted it, so this bounds every crowd's
 * figure from below. BENCH_CHAT_BASELINE=0 skips it.
 */
const BASELINE = process.env.BENCH_CHAT_BASELINE !== "0";

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

type TimelineEvent = { type: string; content: { body?: string } };
const FILTER = { room: { state: { lazy_load_members: true }, timeline: { limit: 50 }, ephemeral: { types: [] }, account_data: { types: [] } }, presence: { types: [] }, account_data: { types: [] } };

/** A Matrix client's /sync long-poll loop (Element's way of reading). */
function syncLoop(c: Client, roomId: string, stop: AbortSignal, onEvent: (e: TimelineEvent, at: number) => void): Promise<void> {
  return (async () => {
    const filter = encodeURIComponent(JSON.stringify(FILTER));
    let since = (await mx<{ next_batch: string }>(c, "GET", `/_matrix/client/v3/sync?filter=${filter}&timeout=0`)).next_batch;
    while (!stop.aborted) {
      try {
        const r = await mx<{ next_batch: string; rooms?: { join?: Record<string, { timeline?: { events: TimelineEvent[] } }> } }>(c, "GET", `/_matrix/client/v3/sync?filter=${filter}&timeout=30000&since=${since}`, undefined, stop);
        const at = performance.now();
        since = r.next_batch;
        for (const e of r.rooms?.join?.[roomId]?.timeline?.events ?? []) onEvent(e, at);
      } catch (err) {
        if (!stop.aborted) throw err;
      }
    }
  })();
}

/** CPU seconds a process has used so far (0 once it is gone). */
function cpuOf(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in USER_HZ ticks
  } catch {
    return 0;
  }
}

const synapseCpuSeconds = () => cpuOf(stack.homeserver.process.pid);

/** A /proc file of a process, "" once it is gone. */
function procFile(pid: string, name: "comm" | "cmdline"): string {
  try {
    return readFileSync(`/proc/${pid}/${name}`, "utf8");
  } catch {
    return "";
  }
}

/** Where the machine's CPU goes: each role, Synapse (main, and its workers if any), PostgreSQL and Redis (all their processes), this process (the readers and posters). */
function cpuByPart(): Record<string, number> {
  const parts: Record<string, number> = { synapse: synapseCpuSeconds(), "bench (readers, posters)": process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6 };
  for (const r of stack.roles) parts[r.label] = cpuOf(r.child.pid);
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const comm = procFile(entry, "comm").trim();
    const synapseWorker = comm.startsWith("python3") && procFile(entry, "cmdline").includes("generic_worker");
    const part = comm.startsWith("postgres") ? "postgres" : comm.startsWith("redis-server") ? "redis" : synapseWorker ? "synapse workers" : null;
    if (part) parts[part] = (parts[part] ?? 0) + cpuOf(Number(entry));
  }
  return parts;
}

function cpuReport(before: Record<string, number>, after: Record<string, number>): string {
  return Object.keys(after)
    .map((k) => [k, after[k] - (before[k] ?? 0)] as const)
    .filter(([, s]) => s >= 0.05)
    .sort((a, b) => b[1] - a[1])
    .map(([k, s]) => `${k} ${s.toFixed(1)}`)
    .join(", ");
}

/** Synapse's metrics listener's text now ("" without one): read once per instant, parsed below. */
async function synapseMetrics(): Promise<string> {
  const url = stack.env.LH_TEST_SYNAPSE_METRICS_URL;
  return url ? (await fetch(url)).text() : "";
}

/** Synapse's database transactions so far, by name: count and seconds. */
function synapseTransactions(text: string): Map<string, { n: number; s: number }> {
  const out = new Map<string, { n: number; s: number }>();
  for (const m of text.matchAll(/^synapse_storage_transaction_time_(count|sum)(?:_total)?\{[^}]*\bdesc="([^"]+)"[^}]*\} ([0-9.e+-]+)$/gm)) {
    const e = out.get(m[2]) ?? { n: 0, s: 0 };
    if (m[1] === "count") e.n += Number(m[3]);
    else e.s += Number(m[3]);
    out.set(m[2], e);
  }
  return out;
}

/** Synapse's own accounts so far: CPU seconds (user + system) per servlet (`http METHOD servlet`), background process (`bg name`) and measured block (`block name`, nested in the others, so reported apart); wall seconds per block (`wall name`); the wait for a database connection (`pool sum`, `pool count`). */
function synapseCpuAccounts(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const add = (k: string, v: number) => out.set(k, (out.get(k) ?? 0) + v);
  for (const m of text.matchAll(/^synapse_http_server_response_ru_[us]time_seconds(?:_total)?\{([^}]*)\} ([0-9.e+-]+)$/gm)) {
    const label = (n: string) => new RegExp(`\\b${n}="([^"]*)"`).exec(m[1])?.[1] ?? "?";
    add(`http ${label("method")} ${label("servlet")}`, Number(m[2]));
  }
  for (const m of text.matchAll(/^synapse_background_process_ru_[us]time_seconds(?:_total)?\{[^}]*\bname="([^"]+)"[^}]*\} ([0-9.e+-]+)$/gm)) add(`bg ${m[1]}`, Number(m[2]));
  for (const m of text.matchAll(/^synapse_util_metrics_block_ru_[us]time_seconds(?:_total)?\{[^}]*\bblock_name="([^"]+)"[^}]*\} ([0-9.e+-]+)$/gm)) add(`block ${m[1]}`, Number(m[2]));
  for (const m of text.matchAll(/^synapse_util_metrics_block_time_seconds(?:_total)?\{[^}]*\bblock_name="([^"]+)"[^}]*\} ([0-9.e+-]+)$/gm)) add(`wall ${m[1]}`, Number(m[2]));
  // Waiting for one of the database pool's connections (cp_max), before a transaction starts.
  for (const m of text.matchAll(/^synapse_storage_schedule_time_(sum|count)\{[^}]*\} ([0-9.e+-]+)$/gm)) add(`pool ${m[1]}`, Number(m[2]));
  return out;
}

function cpuAccountReport(before: Map<string, number>, after: Map<string, number>, messages: number, kind: "http" | "bg" | "block" | "wall"): string {
  return [...after]
    .filter(([k]) => k.startsWith(kind + " "))
    .map(([k, v]) => [k.slice(kind.length + 1), ((v - (before.get(k) ?? 0)) * 1000) / messages] as const)
    .filter(([, ms]) => ms >= 0.2)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([k, ms]) => `${k} ${ms.toFixed(1)}`)
    .join(", ");
}

function transactionReport(before: Map<string, { n: number; s: number }>, after: Map<string, { n: number; s: number }>, messages: number): string {
  const rows = [...after].map(([k, v]) => ({ k, n: v.n - (before.get(k)?.n ?? 0), s: v.s - (before.get(k)?.s ?? 0) })).filter((r) => r.n > 0);
  const n = rows.reduce((a, r) => a + r.n, 0);
  const top = rows.sort((a, b) => b.s - a.s).slice(0, Number(process.env.BENCH_CHAT_TXN_ROWS ?? 6)).map((r) => `${r.k} ${(r.n / messages).toFixed(1)}×/${(r.s * 1000 / messages).toFixed(1)} ms`);
  return `${(n / messages).toFixed(1)} per message; most time: ${top.join(", ")}`;
}

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.max(0, Math.ceil((p / 100) * xs.length) - 1))];

async function channelRoom(title: string): Promise<{ channelId: string; slug: string; roomId: string }> {
  const owner = await signUp({ email: `bench-${randomBytes(3).toString("hex")}@bench.livehouse`, password: randomBytes(12).toString("hex"), displayName: "Bench" }, "bench");
  const slug = `bench-${randomBytes(3).toString("hex")}`;
  const channel = await createChannel(owner.id, { slug, title, description: "", reconnectGraceMinutes: "1", ladder: "" });
  for (let i = 0; i < 100; i++) {
    const roomId = (await db().channel.findUnique({ where: { id: channel.id } }))?.matrixRoomId;
    if (roomId) return { channelId: channel.id, slug, roomId };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the appservice did not create the room");
}

interface Result {
  readers: number;
  p50: number;
  p95: number;
  /** Send → Synapse answered the sender's PUT. */
  answeredP95: number;
  syncP95: number;
  cpuPerMessage: number;
  problems: number;
}

async function scenario(readerCount: number, matrixClients = MATRIX_CLIENTS): Promise<Result> {
  const { slug, roomId } = await channelRoom(`crowd of ${readerCount}`);
  const posters: Client[] = [];
  for (let i = 0; i < POSTERS; i += 10) posters.push(...(await Promise.all(Array.from({ length: Math.min(10, POSTERS - i) }, (_, j) => guest(`poster ${i + j}`, roomId)))));
  const elements = await Promise.all(Array.from({ length: matrixClients }, (_, i) => guest(`element user ${i}`, roomId)));
  const readers: FeedReader[] = [];
  const t0 = performance.now();
  for (let i = 0; i < readerCount; i += 50) {
    const wave = Array.from({ length: Math.min(50, readerCount - i) }, () => new FeedReader(`${stack.baseUrl}/api/chat/${slug}/feed`));
    await Promise.all(wave.map((r) => r.start()));
    readers.push(...wave);
  }
  console.log(`\n${readerCount} reader${readerCount === 1 ? "" : "s"}, ${matrixClients} Matrix client${matrixClients === 1 ? "" : "s"}: ${POSTERS} posting guests joined; readers connected in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const tag = randomBytes(3).toString("hex");
  const re = new RegExp(`^bench ${tag} (\\d+)$`);
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  /** (message, when a reader saw it), to split each latency at the moment Synapse answered the sender. */
  const deliveries: [number, number][] = [];
  const answeredAt = new Map<number, number>();
  const seen = new Map<number, number>();
  for (const r of readers) {
    r.onEntry = ({ entry, at }) => {
      const m = entry.t === "msg" ? re.exec(entry.content.body) : null;
      const sent = m ? sentAt.get(Number(m[1])) : undefined;
      if (sent === undefined) return;
      latencies.push(at - sent);
      deliveries.push([Number(m![1]), at]);
      seen.set(Number(m![1]), (seen.get(Number(m![1])) ?? 0) + 1);
    };
  }
  const syncLatencies: number[] = [];
  const stop = new AbortController();
  const syncs = elements.map((element) =>
    syncLoop(element, roomId, stop.signal, (e, at) => {
      const m = e.type === "m.room.message" ? re.exec(e.content.body ?? "") : null;
      const sent = m ? sentAt.get(Number(m[1])) : undefined;
      if (sent !== undefined) syncLatencies.push(at - sent);
    }),
  );
  await new Promise((r) => setTimeout(r, 1000));

  const total = RATE * SECONDS;
  const sendErrors: string[] = [];
  const sends: Promise<unknown>[] = [];
  const answered: number[] = [];
  const metrics0 = await synapseMetrics();
  const txns0 = synapseTransactions(metrics0);
  const accounts0 = synapseCpuAccounts(metrics0);
  const cpu0 = synapseCpuSeconds();
  const parts0 = cpuByPart();
  const start = performance.now();
  for (let seq = 0; seq < total; seq++) {
    const wait = start + (seq * 1000) / RATE - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const g = posters[seq % posters.length];
    const at = performance.now();
    sentAt.set(seq, at);
    sends.push(
      mx(g, "PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/b${tag}${seq}`, { msgtype: "m.text", body: `bench ${tag} ${seq}` })
        .then(() => {
          answeredAt.set(seq, performance.now());
          answered.push(performance.now() - at);
        })
        .catch((err) => sendErrors.push(String(err))),
    );
  }
  await Promise.all(sends);
  const expected = total * readerCount;
  const until = Date.now() + 15_000;
  while (latencies.length < expected - sendErrors.length * readerCount && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  const cpu = synapseCpuSeconds() - cpu0;
  const parts = cpuReport(parts0, cpuByPart());
  const metrics = await synapseMetrics();
  const txns = transactionReport(txns0, synapseTransactions(metrics), total);
  const accounts = synapseCpuAccounts(metrics);
  stop.abort();
  await Promise.all(syncs.map((s) => s.catch(() => {})));
  for (const r of readers) r.close();

  latencies.sort((a, b) => a - b);
  syncLatencies.sort((a, b) => a - b);
  answered.sort((a, b) => a - b);
  const afterAnswer = deliveries.filter(([seq]) => answeredAt.has(seq)).map(([seq, at]) => at - answeredAt.get(seq)!).sort((a, b) => a - b);
  const duplicates = [...seen.values()].filter((n) => n > readerCount).length;
  const missing = expected - latencies.length;
  console.log(`  ${total} messages at ${RATE}/s; ${sendErrors.length} send errors; ${missing} (reader, message) deliveries missing; ${duplicates} messages delivered twice`);
  if (sendErrors.length) console.log(`  first send error: ${sendErrors[0]}`);
  console.log(`  send → seen by a reader, ms: p50 ${pct(latencies, 50).toFixed(0)}, p95 ${pct(latencies, 95).toFixed(0)}, p99 ${pct(latencies, 99).toFixed(0)}, max ${latencies.at(-1)!.toFixed(0)} (${latencies.length} samples)`);
  console.log(`  of which send → Synapse answered the PUT (the homeserver's part), ms: p50 ${pct(answered, 50).toFixed(0)}, p95 ${pct(answered, 95).toFixed(0)}`);
  console.log(`  and Synapse answered → seen by a reader (appservice, Redis, web, SSE; negative when the feed was first), ms: p50 ${pct(afterAnswer, 50).toFixed(0)}, p95 ${pct(afterAnswer, 95).toFixed(0)}`);
  if (syncLatencies.length) console.log(`  send → seen by ${matrixClients} Matrix client(s) (/sync), ms: p50 ${pct(syncLatencies, 50).toFixed(0)}, p95 ${pct(syncLatencies, 95).toFixed(0)}`);
  console.log(`  Synapse CPU: ${cpu.toFixed(2)} s for ${total} messages = ${((cpu / total) * 1000).toFixed(1)} ms per message`);
  console.log(`  CPU seconds during the run, by part: ${parts}`);
  console.log(`  Synapse database transactions: ${txns}`);
  console.log(`  Synapse CPU ms per message by request: ${cpuAccountReport(accounts0, accounts, total, "http")}`);
  console.log(`  … by background process: ${cpuAccountReport(accounts0, accounts, total, "bg")}`);
  console.log(`  … by measured block (nested in the above): ${cpuAccountReport(accounts0, accounts, total, "block")}`);
  const poolWait = (accounts.get("pool sum") ?? 0) - (accounts0.get("pool sum") ?? 0);
  const poolWaits = (accounts.get("pool count") ?? 0) - (accounts0.get("pool count") ?? 0);
  console.log(`  Synapse waiting for a database connection: ${((poolWait * 1000) / total).toFixed(1)} ms per message, ${poolWaits ? ((poolWait * 1000) / poolWaits).toFixed(2) : "0"} ms per transaction`);
  console.log(`  Synapse wall ms per message by measured block (time spent inside, summed over overlapping calls): ${cpuAccountReport(accounts0, accounts, total, "wall")}`);
  return { readers: readerCount, p50: pct(latencies, 50), p95: pct(latencies, 95), answeredP95: pct(answered, 95), syncP95: syncLatencies.length ? pct(syncLatencies, 95) : NaN, cpuPerMessage: cpu / total, problems: missing + duplicates + sendErrors.length };
}

let exitCode = 0;
try {
  const alone = BASELINE ? await scenario(1, 0) : null;
  const results: Result[] = [];
  for (const n of CROWDS) results.push(await scenario(n));
  if ([alone, ...results].some((r) => r?.problems)) exitCode = 1;
  const [first, last] = [results[0], results.at(-1)!];
  console.log(`\nSynapse CPU per message: ${(first.cpuPerMessage * 1000).toFixed(1)} ms with ${first.readers} readers, ${(last.cpuPerMessage * 1000).toFixed(1)} ms with ${last.readers} (ratio ${(last.cpuPerMessage / first.cpuPerMessage).toFixed(2)})`);
  if (alone) {
    console.log(`The homeserver alone (1 reader, no Matrix client): Synapse answered the sender p95 ${alone.answeredP95.toFixed(0)} ms, seen p95 ${alone.p95.toFixed(0)} ms`);
    console.log(`${last.readers} readers and ${MATRIX_CLIENTS} Matrix client(s) vs the homeserver alone, p95 send → seen: ${(last.p95 / alone.p95).toFixed(2)}×`);
  }
  console.log(`chat p95 ms with ${last.readers} readers: ${last.p95.toFixed(0)}`);
} catch (err) {
  console.error(err);
  exitCode = 1;
} finally {
  await stack.shutdown();
}
process.exit(exitCode);
