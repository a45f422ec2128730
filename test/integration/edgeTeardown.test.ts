import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { it } from "node:test";

const CHILD = path.join(import.meta.dirname, "../support/edgeTeardownChild.ts");

// node-datachannel's cleanup() crashed (SIGSEGV in rtc::Track::close) when a closed
// viewer's track had been garbage-collected before its close reached JS: the edge's
// shutdown, and any test file that tore WebRTC down, ended with a signal.
// Before that, the tracks of every viewer that left were kept (and their process could
// not end) until cleanup(): a memory leak for an edge that runs for weeks.
it("lets go of the tracks of viewers that left, and shuts the edge's WebRTC down without a native fault", async () => {
  const port = 45000 + Math.floor(Math.random() * 5000);
  const child = spawn(process.execPath, ["--expose-gc", "--import", "tsx", CHILD, String(port)], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  // A process that cannot end (callbacks still holding the loop) is stopped and fails.
  const stuck = setTimeout(() => child.kill("SIGKILL"), 120_000);
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on("exit", (c, s) => resolve([c, s])));
  clearTimeout(stuck);
  assert.deepEqual({ code, signal }, { code: 0, signal: null }, `the edge process ended with ${signal ?? code}; it printed: ${out}`);
  const seen = JSON.parse(out.trim().split("\n").pop()!);
  assert.equal(seen.connected + seen.sentToHls, 12, "every viewer connected, or was sent to HLS after the set-up retries, before it left");
  assert.ok(seen.connected >= 6, `${seen.connected} of 12 viewers connected`);
  assert.equal(seen.peers, 0);
  // 24 on the edge's side (two per viewer), as many on the viewers', and two more on each side
  // for every set-up the edge asked to start again (libdatachannel's race under load).
  assert.ok(seen.tracks.created >= 48, `${seen.tracks.created} tracks made`);
  assert.equal(seen.tracks.open, 0, "every closed track's close reached JS");
  assert.equal(seen.tracks.inMemory, 0, "the tracks of viewers that left were garbage-collected, not kept until the edge stops");
});
