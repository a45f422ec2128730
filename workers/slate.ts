// While a session is reconnecting, keep every rendition's playlist advancing in
// real time with "be right back" segments, so viewers' players neither stall nor
// error. Stops as soon as a transcode takes the pen back (the publisher
// returned) or the session ends.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rename } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import type { Job } from "bullmq";
import { config } from "../lib/config.ts";
import { db } from "../lib/db.ts";
import { slateCacheName, slateEncodeArgs, slateFont, slateRetimeArgs, type SlateShape } from "../lib/ffmpeg/slate.ts";
import { LivePlaylists, liveKey } from "../lib/hls/livePlaylists.ts";
import { logger } from "../lib/log.ts";
import type { MediaStore } from "../lib/media/store.ts";
import type { SlateJob } from "../lib/queue.ts";
import { redis } from "../lib/redis.ts";
import { writerFlagKey } from "./liveTranscode.ts";

const run = promisify(execFile);
const log = logger("worker");

async function cachedSlate(store: MediaStore, shape: SlateShape): Promise<string> {
  const dir = await store.localDir("slate");
  const file = path.join(dir, slateCacheName(shape));
  if ((await store.size(`slate/${slateCacheName(shape)}`)) !== null) return file;
  const tmp = `${file}.${randomBytes(4).toString("hex")}.tmp`;
  await run(config.ffmpegPath, slateEncodeArgs(shape, tmp, slateFont()));
  await rename(tmp, file);
  return file;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export async function runSlate(job: Job<SlateJob>, store: MediaStore): Promise<string> {
  const { sessionId } = job.data;
  const session = await db().liveSession.findUnique({ where: { id: sessionId } });
  if (!session || session.status !== "reconnecting") return "not reconnecting";
  const playlists = new LivePlaylists(store, sessionId, session.segmentSeconds);
  const master = await playlists.readMaster();
  if (!master) return "nothing playing yet";
  const flagKey = writerFlagKey(sessionId);
  const me = `slate:${job.id}:${randomBytes(4).toString("hex")}`;

  // Wait for the departing transcode to flush its last segments and release the pen.
  for (let i = 0; ; i++) {
    const taken = await playlists.lock(async () => {
      const flag = await redis().get(flagKey);
      if (flag && !flag.startsWith("slate:")) return false;
      await redis().set(flagKey, me, "EX", 15);
      return true;
    });
    if (taken) break;
    if (i > 100) return "a transcode kept the pen";
    await sleep(200);
    const s = await db().liveSession.findUnique({ where: { id: sessionId }, select: { status: true } });
    if (s?.status !== "reconnecting") return "session moved on";
  }

  const seconds = session.segmentSeconds;
  const sources = new Map<string, string>();
  for (const r of master.renditions) {
    const shape = { width: r.width, height: r.height, fps: r.fps, seconds, audio: r.codecs.includes("mp4a") };
    sources.set(r.name, await cachedSlate(store, shape));
  }
  // Slate time continues from the end of the last real segment (PROGRAM-DATE-TIME stays truthful).
  const top = await playlists.load(master.renditions[0].name);
  const last = top.segments.at(-1);
  let pdt = last?.programDateTime !== undefined ? last.programDateTime + last.duration * 1000 : Date.now();
  const startedAt = Date.now();
  const stamp = Date.now().toString(36);
  let n = 0;
  log.info("slate: session reconnecting, playing be-right-back", { session: sessionId, renditions: master.renditions.length });
  try {
    for (;;) {
      const stillOurs = await playlists.lock(async () => {
        const [flag, s] = await Promise.all([
          redis().get(flagKey),
          db().liveSession.findUnique({ where: { id: sessionId }, select: { status: true } }),
        ]);
        if (flag !== me || s?.status !== "reconnecting") return false;
        for (const r of master.renditions) {
          const dir = await store.localDir(`${liveKey(sessionId)}/${r.name}`);
          const file = `s${stamp}-${String(n).padStart(6, "0")}.ts`;
          await run(config.ffmpegPath, slateRetimeArgs(sources.get(r.name)!, n * seconds, path.join(dir, file)));
          await playlists.append(r.name, { uri: file, duration: seconds, programDateTime: pdt, slate: true }, { startsRun: n === 0 });
        }
        await redis().set(flagKey, me, "EX", 15);
        return true;
      });
      if (!stillOurs) break;
      n++;
      pdt += seconds * 1000;
      await job.updateProgress(n);
      // Real time: one slate segment per segment duration, measured from the start.
      await sleep(startedAt + n * seconds * 1000 - Date.now());
    }
  } finally {
    await playlists.lock(async () => {
      if ((await redis().get(flagKey)) === me) {
        await redis().del(flagKey);
        const s = await db().liveSession.findUnique({ where: { id: sessionId }, select: { status: true } });
        if (s?.status === "ended") await playlists.end();
      }
    });
  }
  return `played ${n} slate segments`;
}
