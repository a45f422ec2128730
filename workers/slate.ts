// While a session is reconnecting, keep every rendition's playlist advancing in
// real time with "be right back" segments, so viewers' players neither stall nor
// error. The slate waits for the departing part's transcode to list its last
// frame (however far behind it was), plays while it holds the pen, and stops as
// soon as a transcode takes the pen back (the publisher returned) or the session
// ends.
import { randomBytes } from "node:crypto";
import { rename } from "node:fs/promises";
import path from "node:path";
import type { Job } from "bullmq";
import { db } from "../lib/db.ts";
import { slateCacheName, slateEncodeSpec, slateFont, slateRetimeSpec, type SlateShape } from "../lib/ffmpeg/slate.ts";
import { LivePlaylists, liveKey } from "../lib/hls/livePlaylists.ts";
import { Pen } from "../lib/live/pen.ts";
import { logger } from "../lib/log.ts";
import type { MediaStore } from "../lib/media/store.ts";
import type { SlateJob } from "../lib/queue.ts";
import { runFfmpeg } from "./ffmpegRunner.ts";

const log = logger("worker");
const WAIT_FOR_PEN_MS = 500;

async function cachedSlate(store: MediaStore, shape: SlateShape): Promise<string> {
  const dir = await store.localDir("slate");
  const file = path.join(dir, slateCacheName(shape));
  if ((await store.size(`slate/${slateCacheName(shape)}`)) !== null) return file;
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
      if (!(await stillReconnecting(sessionId))) break;
      const wrote = await pen.whileHeld(async () => {
        for (const r of master.renditions) {
          const dir = await store.localDir(`${liveKey(sessionId)}/${r.name}`);
          const file = `s${stamp}-${String(n).padStart(6, "0")}.ts`;
          await runFfmpeg(slateRetimeSpec(sources.get(r.name)!, n * seconds, path.join(dir, file)), "re-timing a slate segment");
          await playlists.append(r.name, { uri: file, duration: seconds, programDateTime: pdt, slate: true }, { startsRun: n === 0 });
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
    await pen.release(store);
  }
  return `played ${n} slate segments`;
}
