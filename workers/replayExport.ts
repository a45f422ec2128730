// A replay's single MP4, poster and preview thumbnails.
//
// Segments of the replay's top rendition are joined with a stream copy. Stretches
// that a later, smaller part fed into that rendition (see aliasRenditions) are
// re-encoded to the top rendition's size first — only those. The MP4 is written
// under a temporary name and renamed when complete, so a crash mid-export never
// leaves a half-written file where it is served; the retry starts over.
import { rm, rename, writeFile, mkdir, readdir } from "node:fs/promises";
import path from "node:path";
import type { Job } from "bullmq";
import { db } from "../lib/db.ts";
import { concatCopySpec, normaliseStretchSpec, posterSpec, thumbnailSpec } from "../lib/ffmpeg/replayExport.ts";
import type { FfmpegSpec } from "../lib/ffmpeg/spec.ts";
import { LivePlaylists, liveKey } from "../lib/hls/livePlaylists.ts";
import { logger } from "../lib/log.ts";
import type { MediaStore } from "../lib/media/store.ts";
import type { ExportJob } from "../lib/queue.ts";
import { replaySegments } from "../lib/replays.ts";
import { runFfmpeg } from "./ffmpegRunner.ts";

const log = logger("worker");

/** Runs one export step, reporting its share of progress (0–1) from ffmpeg's stats. */
function ffmpeg(spec: FfmpegSpec, what: string, duration?: number, onProgress?: (f: number) => void): Promise<void> {
  return runFfmpeg(spec, what, { onProgress: duration && onProgress ? (p) => onProgress(Math.min(1, Math.max(0, p.mediaSeconds) / duration)) : undefined });
}

export async function runReplayExport(job: Job<ExportJob>, store: MediaStore): Promise<string> {
  const replay = await db().replay.findUnique({ where: { id: job.data.replayId }, include: { session: true } });
  if (!replay) return "replay was deleted";
  const sessionId = replay.sessionId;
  const playlists = new LivePlaylists(store, sessionId, replay.session.segmentSeconds);
  const master = await playlists.readMaster();
  if (!master) return "no media";
  const top = master.renditions[0];
  const segments = replaySegments(await playlists.load(top.name));
  const total = segments.reduce((s, x) => s + x.duration, 0);
  await db().replay.update({ where: { id: replay.id }, data: { exportStatus: "running", exportProgress: 0, exportError: null } });

  const root = await store.localDir(liveKey(sessionId));
  const work = path.join(root, `.export-${job.id}`);
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  let lastSaved = 0;
  let done = 0; // seconds finished in earlier stretches
  const report = async (fraction: number) => {
    if (Date.now() - lastSaved < 500 && fraction < 1) return;
    lastSaved = Date.now();
    await job.updateProgress(Math.round(fraction * 100));
    await db().replay.update({ where: { id: replay.id }, data: { exportProgress: fraction } }).catch(() => {});
  };
  try {
    // Stretches of consecutive segments that come from the same rendition directory.
    const stretches: { from: string; files: string[]; seconds: number }[] = [];
    for (const s of segments) {
      const from = s.uri.startsWith("../") ? s.uri.split("/")[1] : top.name;
      const file = path.join(root, top.name, s.uri);
      const last = stretches.at(-1);
      if (last && last.from === from) {
        last.files.push(file);
        last.seconds += s.duration;
      } else stretches.push({ from, files: [file], seconds: s.duration });
    }
    const mp4Part = path.join(root, "replay.mp4.part");
    const mp4Started = Date.now();
    if (stretches.every((st) => st.from === top.name)) {
      const list = path.join(work, "all.txt");
      await writeFile(list, stretches[0].files.map((f) => `file '${f}'`).join("\n"));
      await ffmpeg(concatCopySpec(list, mp4Part), "joining the replay", total, (f) => void report(f));
    } else {
      // Normalise each stretch to an MPEG-TS of the top rendition's shape, then join.
      const pieces: string[] = [];
      for (const [i, st] of stretches.entries()) {
        const list = path.join(work, `s${i}.txt`);
        await writeFile(list, st.files.map((f) => `file '${f}'`).join("\n"));
        const piece = path.join(work, `s${i}.ts`);
        await ffmpeg(normaliseStretchSpec(list, piece, st.from === top.name ? null : top), "normalising a stretch", st.seconds, (f) => void report((done + f * st.seconds) / total * 0.95));
        done += st.seconds;
        pieces.push(piece);
      }
      const list = path.join(work, "pieces.txt");
      await writeFile(list, pieces.map((f) => `file '${f}'`).join("\n"));
      await ffmpeg(concatCopySpec(list, mp4Part), "joining the replay", total, (f) => void report(0.95 + f * 0.05));
    }
    await rename(mp4Part, path.join(root, "replay.mp4"));
    const mp4Seconds = (Date.now() - mp4Started) / 1000;
    const bytes = (await store.size(`${liveKey(sessionId)}/replay.mp4`)) ?? 0;

    // Poster (a frame a tenth of the way in) and a thumbnail every N seconds.
    const mp4 = path.join(root, "replay.mp4");
    await ffmpeg(posterSpec(mp4, Math.min(total * 0.1, 30), path.join(work, "poster.jpg")), "making the poster");
    await rename(path.join(work, "poster.jpg"), path.join(root, "poster.jpg"));
    const every = replay.thumbnailSeconds;
    await mkdir(path.join(work, "thumbs"), { recursive: true });
    await ffmpeg(thumbnailSpec(mp4, every, path.join(work, "thumbs")), "making thumbnails");
    await rm(path.join(root, "thumbs"), { recursive: true, force: true });
    await rename(path.join(work, "thumbs"), path.join(root, "thumbs"));
    const thumbs = (await readdir(path.join(root, "thumbs"))).filter((f) => f.endsWith(".jpg")).length;

    await db().replay.update({
      where: { id: replay.id },
      data: { exportStatus: "ready", exportProgress: 1, exportBytes: BigInt(bytes), hasPoster: true, thumbnailCount: thumbs },
    });
    log.info("replay exported", { replay: replay.id, seconds: Math.round(total), stretches: stretches.length, bytes });
    return JSON.stringify({ mediaSeconds: total, mp4Seconds, stretches: stretches.length, bytes });
  } catch (err) {
    const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    await db().replay.update({
      where: { id: replay.id },
      data: { exportStatus: last ? "failed" : "pending", exportError: String((err as Error).message).slice(0, 500) },
    }).catch(() => {});
    throw err;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
