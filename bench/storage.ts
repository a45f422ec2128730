// npm run bench:storage — the local media store against S3 (the run's radosgw on
// loopback), each on a whole platform whose roles use it, with the same media:
//   1. publishing live segments as the transcode does (each second's segments of
//      every rendition uploaded together, then each rendition's segment list and
//      playlist written once), segments per second;
//   2. replay-ready time: from a session's end (the live-session state machine) to
//      its replay playlist answering through the web app — the finalize job, the
//      playlists closed, the replay made, the store read back;
//   3. the MP4 export that follows (the worker's ffmpeg reading the segments where
//      the store keeps them, the MP4 published back), × real time.
// Each store runs in a process of its own (one platform, one database each). Both
// platforms are up together and the replay-ready runs alternate between them, so
// a machine that is slower for a minute (a busy neighbour, a slow disk flush)
// weighs on both stores alike rather than on whichever was measured then.
// Last line: `s3 vs local replay-ready ratio: <x>` (target ≤ 1.5).
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const SEG = 1;
const PUBLISH_MINUTES = Number(process.env.BENCH_STORAGE_MINUTES ?? 10);
const READY_MINUTES = 2;
const RUNS = Number(process.env.BENCH_STORAGE_RUNS ?? 9);
const LADDER = "720p30@2500k|360p30@800k";
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface PhaseResult {
  store: "local" | "s3";
  segmentsPerSecond: number;
  readySeconds: number[];
  exportX: number[];
}

const phase = process.argv[2] === "--phase" ? (process.argv[3] as "local" | "s3") : null;

if (!phase) {
  // The parent: both platforms up, each publishes its long session in turn, then the
  // replay-ready runs alternate (and which store goes first alternates too).
  const children = new Map<"local" | "s3", { send(line: string): void; next(prefix: string): Promise<string>; exited: Promise<number | null> }>();
  for (const store of ["local", "s3"] as const) {
    const child = spawn(process.execPath, ["--import", "tsx", import.meta.filename, "--phase", store], { stdio: ["pipe", "pipe", "inherit"] });
    const waiting: { prefix: string; resolve: (line: string) => void }[] = [];
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const w = waiting.find((x) => line.startsWith(x.prefix));
      if (w) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(line.slice(w.prefix.length));
      } else console.log(line);
    });
    children.set(store, {
      send: (line) => child.stdin!.write(`${line}\n`),
      next: (prefix) =>
        Promise.race([
          new Promise<string>((resolve) => waiting.push({ prefix, resolve })),
          exited.then((code) => Promise.reject(new Error(`the ${store} phase ended (exit ${code}) before ${prefix.trim()}`))),
        ]),
      exited,
    });
  }
  const results = new Map<"local" | "s3", PhaseResult>();
  for (const store of ["local", "s3"] as const) {
    const c = children.get(store)!;
    // Setting up and publishing: one store at a time, so neither's publish figure meets the other's.
    c.send("publish");
    results.set(store, { store, segmentsPerSecond: Number(await c.next("PUBLISHED ")), readySeconds: [], exportX: [] });
  }
  for (let run = 0; run < RUNS; run++) {
    for (const store of run % 2 ? (["s3", "local"] as const) : (["local", "s3"] as const)) {
      const c = children.get(store)!;
      c.send("run");
      const r = JSON.parse(await c.next("RUN ")) as { readySeconds: number; exportX: number };
      results.get(store)!.readySeconds.push(r.readySeconds);
      results.get(store)!.exportX.push(r.exportX);
    }
  }
  for (const c of children.values()) c.send("quit");
  for (const [store, c] of children) if ((await c.exited) !== 0) throw new Error(`the ${store} phase failed`);
  const [local, s3] = [results.get("local")!, results.get("s3")!];
  for (const r of [local, s3]) {
    console.log(
      `${r.store.padEnd(5)} publish: ${r.segmentsPerSecond.toFixed(0)} segments/s (${PUBLISH_MINUTES}-minute session, two renditions)  ` +
        `replay-ready: ${(median(r.readySeconds) * 1000).toFixed(0)} ms (median of ${r.readySeconds.length}: ${r.readySeconds.map((s) => (s * 1000).toFixed(0)).join(", ")})  ` +
        `mp4 export: ${median(r.exportX).toFixed(0)}× real time`,
    );
  }
  console.log(`s3 vs local publish ratio: ${(s3.segmentsPerSecond / local.segmentsPerSecond).toFixed(2)}`);
  console.log(`s3 vs local mp4 export time ratio: ${(median(local.exportX) / median(s3.exportX)).toFixed(2)}`);
  console.log(`s3 vs local replay-ready ratio: ${(median(s3.readySeconds) / median(local.readySeconds)).toFixed(2)}`);
  process.exit(0);
}

// A phase: one platform whose roles keep media in `phase`, doing what the parent asks
// (one line on stdin each: publish, run, quit) and answering on stdout.
const commands = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const command = async (): Promise<string> => String((await commands.next()).value ?? "quit").trim();
if ((await command()) !== "publish") process.exit(0);
const { benchStack } = await import("./stack.ts");
const stack = await benchStack(`benchstorage${phase}`, {
  logDir: path.join(import.meta.dirname, "..", "test-results", "bench-logs", `storage-${phase}`), segmentSeconds: SEG, workers: 1, mediaStore: phase, s3: phase === "s3" });
const { db } = await import("../lib/db.ts");
const { mediaStore } = await import("../lib/media/store.ts");
const { MEDIA_KEY } = await import("../lib/media/layout.ts");
const { LivePlaylists } = await import("../lib/hls/livePlaylists.ts");
const { planRenditions } = await import("../lib/ffmpeg/liveLadder.ts");
const { parseLadder } = await import("../lib/ladder.ts");
const { encodeSampleSegments } = await import("./sampleSegments.ts");
const { endSession } = await import("../lib/liveSessions.ts");
const { QUEUE, queue } = await import("../lib/queue.ts");
const store = mediaStore();
if (store.kind !== phase) throw new Error(`the bench process's store is ${store.kind}, not ${phase}`);

const work = mkdtempSync(path.join(os.tmpdir(), "lh-bench-storage-"));
try {
  // One minute of real 720p30 and 360p30 segments (1 s each), reused for every minute of every session.
  const renditions = planRenditions({ width: 1280, height: 720, fps: 30, videoCodec: null, audioCodec: "mp4a.40.2" }, parseLadder(LADDER));
  const samples = new Map<string, { file: string; start: number; end: number }[]>();
  for (const r of renditions) {
    samples.set(r.name, encodeSampleSegments({ dir: path.join(work, r.name), width: r.width, height: r.height, videoKbps: r.videoKbps, seconds: 60, segmentSeconds: SEG }));
  }
  const channel = await stack.channel(`bench-storage-${phase}`, { ladder: LADDER });

  /** A session of `minutes`, published as the live pipeline publishes it; its one part is over (the sweep leaves it alone). */
  async function publishSession(minutes: number): Promise<{ sessionId: string; segmentsPerSecond: number }> {
    const session = await db().liveSession.create({ data: { channelId: channel.channelId, status: "live", ladder: LADDER, segmentSeconds: SEG } });
    const startedAt = new Date(Date.now() - minutes * 60_000);
    await db().livePart.create({ data: { sessionId: session.id, index: 0, startedAt, endedAt: new Date(), transcodeDoneAt: new Date() } });
    const playlists = new LivePlaylists(store, session.id, SEG);
    await playlists.writeMaster(renditions);
    const t0 = performance.now();
    let n = 0;
    for (let m = 0; m < minutes; m++) {
      for (let i = 0; i < 60; i++) {
        const name = `p0e1-${String(m * 60 + i).padStart(6, "0")}.ts`;
        await Promise.all(renditions.map((r) => store.putFile(MEDIA_KEY.segment(session.id, r.name, name), samples.get(r.name)![i].file)));
        await Promise.all(
          renditions.map((r) => {
            const s = samples.get(r.name)![i];
            return playlists.appendMany(r.name, [{ seg: { uri: name, duration: s.end - s.start, programDateTime: startedAt.getTime() + (m * 60 + i) * 1000, part: 0, mediaStart: m * 60 + i } }]);
          }),
        );
        n += renditions.length;
      }
    }
    return { sessionId: session.id, segmentsPerSecond: n / ((performance.now() - t0) / 1000) };
  }

  /**
   * From the end of the session to its replay playlist answering through the web app. Viewers
   * find a replay through its row (the channel page, the dashboard, the webhook), made once its
   * playlists are written: the row is waited for in the database, then the playlist is asked for.
   * (Asking the store for a playlist that is not there yet, every few ms, would load the S3
   * server while it takes the very writes being timed.)
   */
  async function endToPlayable(sessionId: string): Promise<number> {
    const t0 = performance.now();
    await endSession(sessionId, "bench");
    while (!(await db().replay.findUnique({ where: { sessionId }, select: { id: true } }))) await sleep(2);
    for (;;) {
      const res = await fetch(`${stack.baseUrl}/hls/${MEDIA_KEY.vodMaster(sessionId)}`);
      await res.arrayBuffer();
      if (res.ok) return (performance.now() - t0) / 1000;
      await sleep(5);
    }
  }

  /** Waits for the replay's export (the worker's job) and returns its speed, × real time. */
  async function exportSpeed(sessionId: string): Promise<number> {
    let replay = await db().replay.findUnique({ where: { sessionId } });
    while (!replay) {
      await sleep(20);
      replay = await db().replay.findUnique({ where: { sessionId } });
    }
    for (;;) {
      const job = await queue(QUEUE.export).getJob(`export-${replay.id}`);
      if (job?.finishedOn && job.returnvalue) {
        const r = JSON.parse(job.returnvalue as string) as { mediaSeconds: number; mp4Seconds: number };
        return r.mediaSeconds / r.mp4Seconds;
      }
      if (job?.failedReason && job.attemptsMade >= 5) throw new Error(job.failedReason);
      await sleep(100);
    }
  }

  const published = await publishSession(PUBLISH_MINUTES);
  await endToPlayable(published.sessionId); // warm-up: the first finalize of the run, not reported
  await exportSpeed(published.sessionId);
  console.log(`PUBLISHED ${published.segmentsPerSecond}`);
  while ((await command()) === "run") {
    const { sessionId } = await publishSession(READY_MINUTES);
    const readySeconds = await endToPlayable(sessionId);
    // The export runs before the next measurement (of either store), so it never competes with one.
    const exportX = await exportSpeed(sessionId);
    console.log(`RUN ${JSON.stringify({ readySeconds, exportX })}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
  await stack.shutdown();
}
process.exit(0);
