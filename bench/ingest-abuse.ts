// npm run bench:ingest-abuse — the fuzz suite's heaviest attack mix, over and
// over, against an ingest with a live victim stream: how much ingest's memory
// grows, and how long the victim goes without a new segment.
//
//   gap = the longest wall time between two successive segments appearing in the
//         victim's playlist, minus the segment length (0 when segments arrive on
//         time). Measured first without attacks (baseline), then under attack,
//         in the same run. Target under attack: ≤ one segment.
import { readFileSync } from "node:fs";
import { benchStack } from "./stack.ts";
import { cachedSource, publishFile } from "../test/support/media.ts";
import { allocationAttack, hostileAmfAttack, hugeAmfAttack, trickleAttack, zeroChunkSizeAttack } from "../test/support/rtmpAttacks.ts";
import { INGEST } from "../scripts/roles.ts";

const PHASE_SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const SEGMENT = 2;
const stack = await benchStack("benchabuse", { segmentSeconds: SEGMENT });
const { rolePids } = await import("../test/support/live.ts");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;

try {
  const source = await cachedSource({ width: 1280, height: 720, fps: 30, seconds: PHASE_SECONDS * 2 + 30, audio: { sampleRate: 48000, channels: 2 } });
  const victim = await stack.channel("bench-victim", { graceMinutes: "0", ladder: "720p30@2500k|480p30@1200k|360p30@800k" });
  const pub = publishFile(source, victim.rtmpUrl);
  const port = Number(stack.env.RTMP_PORT);
  let playlist: URL | null = null;
  while (!playlist) {
    const status = await (await fetch(`${stack.baseUrl}/api/live/bench-victim`)).json();
    if (status.hlsUrl) playlist = new URL(status.hlsUrl.replace("master.m3u8", "360p30/index.m3u8"), stack.baseUrl);
    else await sleep(250);
  }
  const [ingest] = rolePids(INGEST);

  // Segment arrivals, noted as a player polling the playlist would see them.
  const arrivals: number[] = [];
  const seen = new Set<string>();
  let watching = true;
  let maxRss = 0;
  const watcher = (async () => {
    while (watching) {
      try {
        maxRss = Math.max(maxRss, rssMb(ingest));
        const text = await (await fetch(playlist!)).text();
        for (const line of text.split("\n")) {
          if (line && !line.startsWith("#") && !seen.has(line)) {
            seen.add(line);
            arrivals.push(Date.now());
          }
        }
      } catch {}
      await sleep(100);
    }
  })();
  const worstGap = (from: number, to: number) => {
    const a = arrivals.filter((t) => t >= from && t <= to);
    let worst = 0;
    for (let i = 1; i < a.length; i++) worst = Math.max(worst, (a[i] - a[i - 1]) / 1000 - SEGMENT);
    return Math.max(0, worst);
  };

  while (arrivals.length < 3) await sleep(200);
  const baseFrom = Date.now();
  await sleep(PHASE_SECONDS * 1000);
  const baseTo = Date.now();
  const rssBefore = rssMb(ingest);
  maxRss = rssBefore;

  // The heaviest mix: every memory and CPU attack at once, again and again, each round from new addresses.
  let round = 0;
  let connections = 0;
  while (Date.now() - baseTo < PHASE_SECONDS * 1000) {
    round++;
    const a = (n: number) => `127.0.${70 + (round % 100)}.${n}`;
    const results = await Promise.all([
      allocationAttack(port, a(1), { connections: 8 }),
      hugeAmfAttack(port, a(2), { connections: 4 }),
      hostileAmfAttack(port, a(3)),
      trickleAttack(port, a(4), { connections: 100, everyMs: 500, durationMs: 3000 }),
      zeroChunkSizeAttack(port, a(5)),
    ]);
    connections += results.reduce((n, r) => n + r.connections, 0);
  }
  const attackTo = Date.now();
  await sleep(3000);
  watching = false;
  await watcher;
  const sameIngest = rolePids(INGEST).join(",") === String(ingest);
  await pub.stop();

  const base = worstGap(baseFrom, baseTo);
  const attacked = worstGap(baseTo, attackTo + 3000);
  console.log(`# victim: 720p30 in real time, ${SEGMENT} s segments; ${round} attack rounds, ${connections} attacking connections in ${PHASE_SECONDS} s`);
  console.log(`ingest RSS: ${rssBefore.toFixed(0)} MB before the attacks, at most ${maxRss.toFixed(0)} MB under attack (growth ${(maxRss - rssBefore).toFixed(0)} MB); same ingest process throughout: ${sameIngest ? "yes" : "NO"}`);
  console.log(`victim worst gap seconds without attack (baseline): ${base.toFixed(2)}`);
  console.log(`victim worst gap seconds under attack: ${attacked.toFixed(2)}`);
} finally {
  await stack.shutdown();
}
