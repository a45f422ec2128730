// While a session is reconnecting, keep every rendition's playlist advancing in
// real time with "be right back" segments, so viewers' players neither stall nor
// error. The slate waits for the departing part's transcode to list its last
// frame (however far behind it was), plays while it holds the pen, and stops as
// soon as a transcode takes the pen back (the publisher returned) or the session
// ends.
import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import type { Job } from "bullmq";
import { config } from "../lib/config.ts";
import { db } from "../lib/db.ts";
import { slateCacheName, slateEncodeSpec, slateFont, slateRetimeSpec, type SlateShape } from "../lib/ffmpeg/slate.ts";
import { LivePlaylists } from "../lib/hls/livePlaylists.ts";
import { Pen } from "../lib/live/pen.ts";
import { logger } from "../lib/log.ts";
import { MEDIA_KEY } from "../lib/media/layout.ts";
import { reportStorageFull } from "../lib/media/storageHealth.ts";
import { isStorageFull, type MediaStore } from "../lib/media/store.ts";
import type { SlateJob } from "../lib/queue.ts";
import { runFfmpeg } from "./ffmpegRunner.ts";

const log = logger("worker");
const WAIT_FOR_PEN_MS = 500;

/** The slate picture of one shape, encoded once per worker host into its scratch directory. */
async function cachedSlate(shape: SlateShape): Promise<string> {
  const dir = path.resolve(config.scratchDir, "slate");
  const file = path.join(dir, slateCacheName(shape));
  if (await stat(file).then((s) => s.isFile(), () => false)) return file;
  await mkdir(dir, { recursive: true });
  const tmp = `${file}.${randomBytes(4).toString("hex")}.tmp.ts`;
  await runFfmpeg(slateEncodeSpec(shape, tmp, slateFont()), "encoding the slate");
  await rename(tmp, file);
  return file;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

async function stillReconnecting(sessionId: string): Promise<boolean> {
  const s = await db().liveSession.findUnique({ where: { id: sessionId }, select: { status: true } });
  return s?.status === "reconnecting";
}

export async function runSlate(job: Job<SlateJob>, store: MediaStore): Promise<string> {
  const { sessionId } = job.data;
  const session = await db().liveSession.findUnique({ where: { id: sessionId } });
  if (!session || session.status !== "reconnecting") return "not reconnecting";
  const playlists = new LivePlaylists(store, sessionId, session.segmentSeconds);
  const pen = new Pen(playlists, { kind: "slate", id: `${job.id}-${randomBytes(4).toString("hex")}` });

  // The departing transcode first lists every frame it received, then gives the pen back.
  while (!(await pen.tryTake())) {
    if (!(await stillReconnecting(sessionId))) return "session moved on";
    await sleep(WAIT_FOR_PEN_MS);
  }
  const master = await playlists.readMaster();
  if (!master) {
    await pen.release(store);
    return "nothing playing yet";
  }

  const seconds = session.segmentSeconds;
  const sources = new Map<string, string>();
  for (const r of master.renditions) {
    const shape = { width: r.width, height: r.height, fps: r.fps, seconds, audio: r.codecs.includes("mp4a") };
    sources.set(r.name, await cachedSlate(shape));
  }
  // Slate time continues from the end of the last real segment (PROGRAM-DATE-TIME stays truthful).
  const top = await playlists.load(master.renditions[0].name);
  const last = top.segments.at(-1);
  let pdt = last?.programDateTime !== undefined ? last.programDateTime + last.duration * 1000 : Date.now();
  const startedAt = Date.now();
  const stamp = Date.now().toString(36);
  const scratch = path.resolve(config.scratchDir, "slate-run", `${sessionId}-${stamp}`);
  await mkdir(scratch, { recursive: true });
  let n = 0;
  log.info("slate: session reconnecting, playing be-right-back", { session: sessionId, renditions: master.renditions.length });
  try {
    for (;;) {
      if (!(await stillReconnecting(sessionId))) break;
      // Each segment is re-timed in scratch and published before the pen is asked for.
      const cut = new Map<string, string>();
      const file = `s${stamp}-${String(n).padStart(6, "0")}.ts`;
      try {
        for (const r of master.renditions) {
          const local = path.join(scratch, `${r.name}-${file}`);
          await runFfmpeg(slateRetimeSpec(sources.get(r.name)!, n * seconds, local), "re-timing a slate segment");
          await store.putFile(MEDIA_KEY.segment(sessionId, r.name, file), local);
          await rm(local, { force: true });
          cut.set(r.name, file);
        }
      } catch (err) {
        if (!isStorageFull(err)) throw err;
        // No room for the slate either: viewers wait on the last segment; try again next time.
        if (await reportStorageFull(String((err as Error).message))) log.error("media storage is full: the slate cannot be saved", { session: sessionId });
        await sleep(seconds * 1000);
        if (!(await pen.renew())) break;
        continue;
      }
      const wrote = await pen.whileHeld(async () => {
        for (const r of master.renditions) {
          await playlists.append(r.name, { uri: cut.get(r.name)!, duration: seconds, programDateTime: pdt, slate: true }, { startsRun: n === 0 });
        }
        return true;
      });
      if (!wrote) break; // a transcode took the pen: the publisher is back
      n++;
      pdt += seconds * 1000;
      await job.updateProgress(n);
      // Real time: one slate segment per segment duration, measured from the start.
      await sleep(startedAt + n * seconds * 1000 - Date.now());
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
    await pen.release(store);
  }
  return `played ${n} slate segments`;
}
