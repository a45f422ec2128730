// A replay's single MP4, poster and preview thumbnails.
//
// Segments of the replay's top rendition are joined with a stream copy. Stretches
// that a later, smaller part fed into that rendition (see aliasRenditions) are
// re-encoded to the top rendition's size first — only those. ffmpeg reads the
// segments where the store keeps them (a path, or a time-limited URL) and writes
// into this worker's scratch directory; each finished file is then published, so
// a crash mid-export never leaves a half-written file where it is served, and the
// retry starts over.
import { rm, writeFile, mkdir, readdir, stat } from "node:fs/promises";
import path from "node:path";
import { config } from "../lib/config.ts";
import type { Job } from "bullmq";
import { db } from "../lib/db.ts";
import { concatCopySpec, concatList, normaliseStretchSpec, posterSpec, thumbnailSpec } from "../lib/ffmpeg/replayExport.ts";
import type { FfmpegSpec } from "../lib/ffmpeg/spec.ts";
import { LivePlaylists } from "../lib/hls/livePlaylists.ts";
import { MEDIA_KEY } from "../lib/media/layout.ts";
import { logger } from "../lib/log.ts";
import { reportStorageFull } from "../lib/media/storageHealth.ts";
import { isStorageFull, type MediaStore } from "../lib/media/store.ts";
import type { ExportJob } from "../lib/queue.ts";
import { measureReplay, replayExported, replaySegments } from "../lib/replays.ts";
import { runFfmpeg } from "./ffmpegRunner.ts";
import { COUNTER, count } from "../lib/metrics.ts";

const log = logger("worker");

/** Runs one export step, reporting its share of progress (0–1) from ffmpeg's stats. */
function ffmpeg(spec: FfmpegSpec, what: string, duration?: number, onProgress?: (f: number) => void): Promise<void> {
  return runFfmpeg(spec, what, { onProgress: duration && onProgress ? (p) => onProgress(Math.min(1, Math.max(0, p.mediaSeconds) / duration)) : undefined });
}

/** While the store has no room, an export waits this long between tries (its attempts are kept for real failures). */
const STORAGE_FULL_WAIT_MS = 5000;
const STORAGE_FULL_GIVE_UP_MS = 24 * 3600_000;

export async function runReplayExport(job: Job<ExportJob>, store: MediaStore): Promise<string> {
  const started = Date.now();
  for (;;) {
    try {
      return await exportOnce(job, store);
    } catch (err) {
      if (!isStorageFull(err) || Date.now() - started > STORAGE_FULL_GIVE_UP_MS) throw err;
      await new Promise((r) => setTimeout(r, STORAGE_FULL_WAIT_MS));
    }
  }
}

async function exportOnce(job: Job<ExportJob>, store: MediaStore): Promise<string> {
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

  const work = path.resolve(config.scratchDir, "export", `${replay.id}-${job.id}`);
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
    const stretches: { from: string; inputs: string[]; seconds: number }[] = [];
    for (const s of segments) {
      const from = s.uri.startsWith("../") ? s.uri.split("/")[1] : top.name;
      const input = await store.inputUrl(MEDIA_KEY.segment(sessionId, from, s.uri.split("/").at(-1)!));
      const last = stretches.at(-1);
      if (last && last.from === from) {
        last.inputs.push(input);
        last.seconds += s.duration;
      } else stretches.push({ from, inputs: [input], seconds: s.duration });
    }
    const mp4 = path.join(work, "replay.mp4");
    const mp4Started = Date.now();
    if (stretches.every((st) => st.from === top.name)) {
      const list = path.join(work, "all.txt");
      await writeFile(list, concatList(stretches[0].inputs));
      await ffmpeg(concatCopySpec(list, mp4), "joining the replay", total, (f) => void report(f));
    } else {
      // Normalise each stretch to an MPEG-TS of the top rendition's shape, then join.
      const pieces: string[] = [];
      for (const [i, st] of stretches.entries()) {
        const list = path.join(work, `s${i}.txt`);
        await writeFile(list, concatList(st.inputs));
        const piece = path.join(work, `s${i}.ts`);
        await ffmpeg(normaliseStretchSpec(list, piece, st.from === top.name ? null : top), "normalising a stretch", st.seconds, (f) => void report((done + f * st.seconds) / total * 0.95));
        done += st.seconds;
        pieces.push(piece);
      }
      const list = path.join(work, "pieces.txt");
      await writeFile(list, concatList(pieces));
      await ffmpeg(concatCopySpec(list, mp4), "joining the replay", total, (f) => void report(0.95 + f * 0.05));
    }
    const bytes = (await stat(mp4)).size;
    await store.putFile(MEDIA_KEY.mp4(sessionId), mp4);
    const mp4Seconds = (Date.now() - mp4Started) / 1000;

    // Poster (a frame a tenth of the way in) and a thumbnail every N seconds, from the local MP4.
    await ffmpeg(posterSpec(mp4, Math.min(total * 0.1, 30), path.join(work, "poster.jpg")), "making the poster");
    await store.putFile(MEDIA_KEY.poster(sessionId), path.join(work, "poster.jpg"));
    const every = replay.thumbnailSeconds;
    const thumbsDir = path.join(work, "thumbs");
    await mkdir(thumbsDir, { recursive: true });
    await ffmpeg(thumbnailSpec(mp4, every, thumbsDir), "making thumbnails");
    const made = (await readdir(thumbsDir)).filter((f) => /^\d{4}\.jpg$/.test(f)).sort();
    // A retry may make fewer than a crashed attempt did: drop the old set first.
    await store.deletePrefix(MEDIA_KEY.thumbs(sessionId));
    for (const [i, f] of made.entries()) await store.putFile(MEDIA_KEY.thumb(sessionId, i + 1), path.join(thumbsDir, f));
    const thumbs = made.length;

    await db().replay.update({
      where: { id: replay.id },
      data: { exportStatus: "ready", exportProgress: 1, exportBytes: BigInt(bytes), hasPoster: true, thumbnailCount: thumbs },
    });
    await measureReplay(replay.id, sessionId, store);
    void count(COUNTER.exportsFinished, { result: "ready" });
    void replayExported(replay, bytes);
    log.info("replay exported", { replay: replay.id, seconds: Math.round(total), stretches: stretches.length, bytes });
    return JSON.stringify({ mediaSeconds: total, mp4Seconds, stretches: stretches.length, bytes });
  } catch (err) {
    if (isStorageFull(err)) {
      if (await reportStorageFull(String((err as Error).message))) log.error("media storage is full: the replay export waits for room", { replay: replay.id });
      await db().replay.update({ where: { id: replay.id }, data: { exportStatus: "pending", exportError: "Waiting for room in the media storage." } }).catch(() => {});
      throw err;
    }
    const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    await db().replay.update({
      where: { id: replay.id },
      data: { exportStatus: last ? "failed" : "pending", exportError: String((err as Error).message).slice(0, 500) },
    }).catch(() => {});
    if (last) void count(COUNTER.exportsFinished, { result: "failed" });
    throw err;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
