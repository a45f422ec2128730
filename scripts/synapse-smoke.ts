// Manual check that scripts/synapse.ts gives working, federating homeservers:
//   node_modules/.bin/node --import tsx scripts/synapse-smoke.ts
// Two instances, a user on each, a room on A joined from B over federation,
// messages both ways, a guest on A, then a restart of A on the same data dir.
// Exit code 0 only when every step passed. Talks plain client-server API.
// Logs and data dirs are kept (and their place printed) on failure, or always
// with SYNAPSE_SMOKE_KEEP=1.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "./ports.ts";
import { startSynapse, type SynapseInstance } from "./synapse.ts";
import { registerMatrixUser } from "./synapseAdmin.ts";

const tmp = mkdtempSync(path.join(os.tmpdir(), "livehouse-synapse-smoke-"));
const instances = new Set<SynapseInstance>();
const timings: Record<string, number> = {};

async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const t = performance.now();
  try {
    return await fn();
  } finally {
    timings[label] = (performance.now() - t) / 1000;
  }
}

async function start(name: string, ports?: { clientPort: number; federationPort: number }): Promise<SynapseInstance> {
  const p = ports ?? { clientPort: await freePort(), federationPort: await freePort() };
  const hs = await startSynapse({
    name,
    ...p,
    dataDir: path.join(tmp, name),
    logFile: path.join(tmp, `${name}.log`),
    profile: "test",
  });
  instances.add(hs);
  return hs;
}

async function stop(hs: SynapseInstance): Promise<void> {
  await hs.stop();
  instances.delete(hs);
}

async function api<T = Record<string, unknown>>(hs: SynapseInstance, method: string, p: string, token?: string, body?: unknown): Promise<T> {
  const res = await fetch(`${hs.clientUrl}/_matrix/client/v3${p}`, {
    method,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${hs.serverName}${p}: HTTP ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

let txn = 0;
async function send(hs: SynapseInstance, token: string, roomId: string, body: string): Promise<void> {
  await api(hs, "PUT", `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/smoke${++txn}`, token, { msgtype: "m.text", body });
}

/** Polls /messages until every expected body is in the room's recent history. */
async function waitForBodies(hs: SynapseInstance, token: string, roomId: string, bodies: string[], seconds = 30): Promise<void> {
  const until = Date.now() + seconds * 1000;
  let seen: string[] = [];
  while (Date.now() < until) {
    const { chunk } = await api<{ chunk: { type: string; content: { body?: string } }[] }>(
      hs, "GET", `/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=50`, token,
    );
    seen = chunk.filter((e) => e.type === "m.room.message").map((e) => e.content.body ?? "");
    if (bodies.every((b) => seen.includes(b))) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${hs.serverName} never showed ${JSON.stringify(bodies)} (saw ${JSON.stringify(seen)})`);
}

function step(msg: string): void {
  console.log(`  ok  ${msg}`);
}

async function main(): Promise<void> {
  // Started together, as the test suite would; each start is timed on its own.
  const [a, b] = await Promise.all([timed("start smoke-a (cold)", () => start("smoke-a")), timed("start smoke-b (cold)", () => start("smoke-b"))]);
  step(`A = ${a.serverName} (${a.clientUrl}), B = ${b.serverName} (${b.clientUrl})`);

  const alice = await registerMatrixUser(a, "alice", "alice-password");
  const bob = await registerMatrixUser(b, "bob", "bob-password");
  step(`registered ${alice.userId} and ${bob.userId}`);

  const alias = `#smoke:${a.serverName}`;
  const { room_id: roomId } = await api<{ room_id: string }>(a, "POST", "/createRoom", alice.accessToken, {
    preset: "public_chat",
    room_alias_name: "smoke",
    name: "Smoke",
    initial_state: [
      { type: "m.room.guest_access", state_key: "", content: { guest_access: "can_join" } },
      { type: "m.room.history_visibility", state_key: "", content: { history_visibility: "world_readable" } },
    ],
  });
  step(`alice created ${alias} = ${roomId}`);

  const joined = await timed("federation join (B joins room on A)", () =>
    api<{ room_id: string }>(b, "POST", `/join/${encodeURIComponent(alias)}`, bob.accessToken, {}),
  );
  if (joined.room_id !== roomId) throw new Error(`bob joined ${joined.room_id}, expected ${roomId}`);
  step("bob joined over federation");

  await send(a, alice.accessToken, roomId, "hello from alice");
  await send(b, bob.accessToken, roomId, "hello from bob");
  await timed("messages seen on both sides", () =>
    Promise.all([
      waitForBodies(a, alice.accessToken, roomId, ["hello from bob"]),
      waitForBodies(b, bob.accessToken, roomId, ["hello from alice"]),
    ]),
  );
  step("alice sees bob's message and bob sees alice's");

  const guest = await api<{ user_id: string; access_token: string }>(a, "POST", "/register?kind=guest", undefined, {});
  await api(a, "POST", `/join/${encodeURIComponent(alias)}`, guest.access_token, {});
  await waitForBodies(a, guest.access_token, roomId, ["hello from alice", "hello from bob"]);
  step(`guest ${guest.user_id} joined and reads both messages`);

  // Restart A on the same data dir and ports: secrets, signing key and database
  // must carry over, so alice's token still works and the room is still hers.
  const ports = { clientPort: Number(new URL(a.clientUrl).port), federationPort: Number(a.serverName.split(":")[1]) };
  await stop(a);
  const a2 = await timed("start smoke-a (restart)", () => start("smoke-a", ports));
  const who = await api<{ user_id: string }>(a2, "GET", "/account/whoami", alice.accessToken);
  if (who.user_id !== alice.userId) throw new Error(`whoami after restart: ${who.user_id}`);
  await send(a2, alice.accessToken, roomId, "after restart");
  await waitForBodies(b, bob.accessToken, roomId, ["after restart"]);
  step("after a restart of A, alice's token works and B receives her new message");

  await timed("stop both", () => Promise.all([stop(a2), stop(b)]));
  step("stopped both");
}

let failed = false;
try {
  await main();
} catch (err) {
  failed = true;
  console.error(`FAIL ${(err as Error).stack ?? err}`);
} finally {
  await Promise.all([...instances].map((hs) => hs.stop()));
}
console.log("timings:");
for (const [label, s] of Object.entries(timings)) console.log(`  ${label.padEnd(40)} ${s.toFixed(2)} s`);
if (failed || process.env.SYNAPSE_SMOKE_KEEP === "1") console.error(`logs and data kept in ${tmp}`);
if (failed) process.exit(1);
if (process.env.SYNAPSE_SMOKE_KEEP !== "1") rmSync(tmp, { recursive: true, force: true });
console.log("synapse smoke: passed");
