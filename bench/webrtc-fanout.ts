// npm run bench:webrtc-fanout — what one more WebRTC viewer costs the edge. A 720p30
// publisher goes live; the edge process's CPU time (user + system, /proc/<pid>/stat) is
// measured over a fixed window with 0 viewers, then with 50, then with 200 headless
// receivers (test/support/webrtcReceiver.ts: real ICE, DTLS and SRTP, in this process).
//   per-viewer CPU   = (cpu_N − cpu_0) / N / window, as % of one core
//   viewers per core = 1 / per-viewer core fraction, from the largest N whose receivers got
//                      the whole stream (≥ 90 % of one receiver's packet rate); a level that got
//                      less costs less per viewer and would flatter the figure
// The receivers decrypt and count every packet in this process, on the same cores as the
// edge: the edge's figure is measured under that competition (pessimistic).
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { benchStack } from "./stack.ts";
import { cachedSource, publishFile } from "../test/support/media.ts";
import { startReceiver, type ReceiverStats } from "../test/support/webrtcReceiver.ts";

const WINDOW = Number(process.env.BENCH_WINDOW_SECONDS ?? 15);
const LEVELS = [50, 200];
const SLUG = "bench-fanout";
// One address plays every viewer here: lift the edge's per-address and total caps.
process.env.WEBRTC_MAX_PEERS_PER_ADDRESS ??= "1000";
process.env.WEBRTC_MAX_VIEWERS ??= "1000";
// The edge is measured, not the transcode: one rung (the WebRTC one) keeps the worker's share
// of the 2 cores small, and no stepping down, so the stream every level sees is the same 720p30.
const LADDER = process.env.BENCH_LADDER ?? "720p30@2500k";
process.env.TRANSCODE_OVERLOAD ??= "warn";

const TICKS = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU seconds a process has used so far, in user space and in the kernel (its sends). */
function processCpu(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { user: Number(f[11]) / TICKS, system: Number(f[12]) / TICKS }; // utime, stime
}

/** The machine's busy fraction (all cores) between two /proc/stat readings. */
function machineTicks(): { busy: number; total: number } {
  const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0].split(/\s+/).slice(1).map(Number);
  const idle = cpu[3] + (cpu[4] ?? 0);
  const total = cpu.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

const sourceMade = cachedSource({ width: 1280, height: 720, fps: 30, seconds: 300, audio: { sampleRate: 48000, channels: 2 } });
const stack = await benchStack("benchfan", { segmentSeconds: 1 });

type Receiver = ReturnType<typeof startReceiver>;
const receivers: Receiver[] = [];
let publisher: ReturnType<typeof publishFile> | undefined;
const receiving = (s: ReceiverStats) => s.state === "connected" && s.video.packets > 0;

try {
  const source = await sourceMade;
  const channel = await stack.channel(SLUG, { graceMinutes: "0", ladder: LADDER });
  const edge = stack.roles.find((r) => r.label === "edge");
  if (!edge) throw new Error("no edge role in the bench stack");
  const wsUrl = `${stack.baseUrl.replace(/^http/, "ws")}/ws/${SLUG}`;
  console.log(`# edge: WEBRTC_MAX_PEERS_PER_ADDRESS=${stack.env.WEBRTC_MAX_PEERS_PER_ADDRESS} WEBRTC_MAX_VIEWERS=${stack.env.WEBRTC_MAX_VIEWERS}; receivers signal through ${new URL(wsUrl).pathname} on the web app; ladder ${LADDER}, TRANSCODE_OVERLOAD=${stack.env.TRANSCODE_OVERLOAD}; window ${WINDOW} s`);

  publisher = publishFile(source, channel.rtmpUrl);
  const liveBy = Date.now() + 45_000;
  for (;;) {
    if (Date.now() > liveBy) throw new Error("the stream did not go live in 45 s");
    if (publisher.proc.exitCode !== null) throw new Error(`the publisher exited (${publisher.proc.exitCode})`);
    const status = await (await fetch(`${stack.baseUrl}/api/live/${SLUG}`)).json();
    if (status.hlsUrl) {
      if (!status.webrtc) throw new Error(`the live status offers no WebRTC source: ${JSON.stringify(status)}`);
      break;
    }
    await sleep(200);
  }

  // One probe viewer first: WebRTC works at all, and media reaches the edge.
  const probe = startReceiver(wsUrl, "probe");
  const probeBy = Date.now() + 30_000;
  while (!(receiving(probe.stats) && probe.stats.audio.packets > 0) && Date.now() < probeBy) await sleep(200);
  if (!receiving(probe.stats)) {
    probe.close();
    throw new Error(`a WebRTC receiver got no video within 30 s: state=${probe.stats.state} video=${probe.stats.video.packets} audio=${probe.stats.audio.packets} errors=${JSON.stringify(probe.stats.errors)} (see test-results/bench-logs/edge.log)`);
  }
  // The stream's packet rate with nobody else watching: each level's is checked against it.
  const p0 = { v: probe.stats.video.packets, a: probe.stats.audio.packets, t: performance.now() };
  await sleep(5000);
  const probeSeconds = (performance.now() - p0.t) / 1000;
  const rate = { video: (probe.stats.video.packets - p0.v) / probeSeconds, audio: (probe.stats.audio.packets - p0.a) / probeSeconds };
  probe.close();
  console.log(`# stream to one receiver: ${rate.video.toFixed(0)} video + ${rate.audio.toFixed(0)} audio packets/s`);
  await sleep(3000);

  const edgeRestarts = edge.restarts;
  async function window(label: string) {
    const pid = edge!.child.pid!;
    const before = receivers.map((r) => ({ v: r.stats.video.packets, a: r.stats.audio.packets, lost: r.stats.video.lost + r.stats.audio.lost }));
    const m0 = machineTicks();
    const c0 = processCpu(pid);
    const self0 = process.cpuUsage();
    const t0 = performance.now();
    await sleep(WINDOW * 1000);
    const wall = (performance.now() - t0) / 1000;
    const c1 = processCpu(pid);
    const cpu = c1.user + c1.system - (c0.user + c0.system);
    const self = process.cpuUsage(self0);
    const m1 = machineTicks();
    if (edge!.child.pid !== pid || edge!.restarts !== edgeRestarts) throw new Error(`the edge restarted during the ${label} window`);
    const deltas = receivers.map((r, i) => ({ v: r.stats.video.packets - before[i].v, a: r.stats.audio.packets - before[i].a, lost: r.stats.video.lost + r.stats.audio.lost - before[i].lost }));
    const got = deltas.filter((d) => d.v > 0);
    const avg = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
    return {
      label,
      wall,
      core: cpu / wall, // fraction of one core
      systemShare: cpu > 0 ? (c1.system - c0.system) / cpu : 0,
      selfCore: (self.user + self.system) / 1e6 / wall,
      machineBusy: (m1.busy - m0.busy) / (m1.total - m0.total), // of all cores
      connected: receivers.filter((r) => r.stats.state === "connected").length,
      receiving: got.length,
      videoPerReceiver: avg(got.map((d) => d.v)),
      audioPerReceiver: avg(got.map((d) => d.a)),
      minVideo: got.length ? Math.min(...got.map((d) => d.v)) : 0,
      lost: deltas.reduce((s, d) => s + d.lost, 0),
    };
  }

  const show = (w: Awaited<ReturnType<typeof window>>, n: number) =>
    console.log(
      `${String(n).padStart(3)} viewers: edge ${(w.core * 100).toFixed(1)}% of a core (${(w.systemShare * 100).toFixed(0)}% of it in the kernel) over ${w.wall.toFixed(1)} s; ` +
        `connected ${w.connected}/${n}, receiving ${w.receiving}/${n}; per receiver ${Math.round(w.videoPerReceiver)} video (min ${w.minVideo}) + ${Math.round(w.audioPerReceiver)} audio packets (${(w.videoPerReceiver / w.wall).toFixed(0)} + ${(w.audioPerReceiver / w.wall).toFixed(0)}/s), lost ${w.lost}; ` +
        `bench process (receivers) ${(w.selfCore * 100).toFixed(0)}% of a core; machine busy ${(w.machineBusy * 100).toFixed(0)}%`,
    );

  const base = await window("0-viewer");
  show(base, 0);
  const results: { n: number; perViewer: number; share: number }[] = [];
  for (const n of LEVELS) {
    // Connect the new ones in small batches (as viewers arrive, not in one instant).
    const startedAt = Date.now();
    for (let i = receivers.length; i < n; i++) {
      receivers.push(startReceiver(wsUrl, `bench-${i}`));
      if (i % 10 === 9) await sleep(250);
    }
    const readyBy = Date.now() + 90_000;
    let ready = 0;
    while (Date.now() < readyBy) {
      ready = receivers.filter((r) => receiving(r.stats)).length;
      if (ready >= n) break;
      // Most are in and nothing has moved for a while: measure with what we have.
      if (ready >= n * 0.9 && Date.now() - startedAt > 20_000) break;
      await sleep(500);
    }
    const connectSeconds = (Date.now() - startedAt) / 1000;
    const errors = new Map<string, number>();
    for (const r of receivers) for (const e of r.stats.errors) errors.set(e, (errors.get(e) ?? 0) + 1);
    const states = new Map<string, number>();
    for (const r of receivers) states.set(r.stats.state, (states.get(r.stats.state) ?? 0) + 1);
    console.log(`# ${n} receivers: ${ready} connected and receiving after ${connectSeconds.toFixed(1)} s; states ${JSON.stringify(Object.fromEntries(states))}${errors.size ? `; errors ${JSON.stringify(Object.fromEntries(errors))}` : ""}`);
    if (ready < n * 0.5) throw new Error(`only ${ready} of ${n} receivers connected and received video (see test-results/bench-logs/edge.log)`);
    await sleep(3000); // let the joins' keyframe requests and DTLS handshakes settle
    const w = await window(`${n}-viewer`);
    show(w, n);
    const viewers = w.receiving || 1;
    const perViewer = (w.core - base.core) / viewers; // core fraction per viewer
    const pps = (w.videoPerReceiver + w.audioPerReceiver) / w.wall;
    const share = pps / (rate.video + rate.audio);
    results.push({ n: viewers, perViewer, share });
    console.log(`per-viewer edge CPU at ${viewers} receiving: ${(perViewer * 100).toFixed(3)}% of a core (${((perViewer * 100 * 1000) / pps).toFixed(2)}% per 1000 packets/s; each receiver got ${(share * 100).toFixed(0)}% of the one-receiver packet rate)`);
    if (share < 0.9) console.log(`# WARNING: at ${n} receivers the stream arrived at ${(share * 100).toFixed(0)}% of its rate (transcode behind, or the edge dropping packets; see worker1.log/edge.log): the per-viewer figure is per fewer packets than a real-time viewer gets`);
    if (share < 0.9 && share > 0) console.log(`# scaled to the one-receiver packet rate: ${((perViewer / share) * 100).toFixed(3)}% of a core per viewer → ${Math.floor(share / perViewer)} viewers per core`);
  }
  console.log(`# the receivers run in this bench process on the same ${(await import("node:os")).availableParallelism()} cores as the edge (and whatever else runs on the machine), so the edge's figure is measured under that competition`);
  const full = results.filter((r) => r.share >= 0.9);
  if (full.length === 0) throw new Error("no level's receivers got the whole stream: the per-viewer cost cannot be told");
  const last = full[full.length - 1];
  console.log(`# figure from the ${last.n}-viewer level (the largest whose receivers got the whole stream)`);
  const perCore = last.perViewer > 0 ? Math.floor(1 / last.perViewer) : Infinity;
  console.log(`webrtc viewers per core: ${Number.isFinite(perCore) ? perCore : "∞ (no measurable per-viewer cost)"}`);
} finally {
  await publisher?.stop();
  await stack.shutdown();
}
// No per-receiver close and no nodeDataChannel.cleanup(): tearing down 200 peers that way
// crashed this process (SIGSEGV in node-datachannel, before edge/nativeTracks.ts) after the
// figure was printed, and the teardown is not what is measured here. The process exits with
// the stack already down and the kernel closes the sockets.
process.exit(0);
