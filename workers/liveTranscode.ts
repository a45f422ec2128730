// One live part's transcode: for as long as its publisher publishes, run ONE
// ffmpeg that encodes every rung, and turn the segments it cuts into the
// session's HLS playlists.
//
// BullMQ delivers at least once: a worker that stalls or dies has its job handed
// to another. Each attempt therefore takes a new epoch for the part (Postgres
// row). Only the holder of the current epoch may add segments to the playlists;
// ingest disconnects readers of older epochs; and an older ffmpeg left behind on
// this host is killed before a new one starts. Two ffmpeg processes never write
// one stream.
import { readFile } from "node:fs/promises";
import os from "node:os";
import type { Job } from "bullmq";
import ffmpeg from "fluent-ffmpeg";
import { config } from "../lib/config.ts";
import { db } from "../lib/db.ts";
import { buildLiveLadder, planRenditions, type Rendition, type SourceInfo } from "../lib/ffmpeg/liveLadder.ts";
import { LivePlaylists, liveKey } from "../lib/hls/livePlaylists.ts";
import { SegmentListTail } from "../lib/hls/segmentList.ts";
import { internalReadUrl } from "../lib/internalAuth.ts";
import { parseLadder, type Ladder } from "../lib/ladder.ts";
import { logger } from "../lib/log.ts";
import type { MediaStore } from "../lib/media/store.ts";
import type { TranscodeJob } from "../lib/queue.ts";
import { buildReplay } from "../lib/replays.ts";
import { redis } from "../lib/redis.ts";
import type { Transcoder } from "./transcoder.ts";

const log = logger("worker");
const POLL_MS = 100;

/** ffmpeg processes this worker runs, so that stopping the worker stops them too. */
export const runningTranscodes = new Set<{ kill(): void }>();

export const writerFlagKey = (sessionId: string) => `live-writer:${sessionId}`;
const ffmpegRecordKey = (partId: string) => `live-ffmpeg:${partId}`;

async function takeEpoch(partId: string): Promise<number | null> {
  const rows = await db().$queryRaw<{ transcode_epoch: number }[]>`
    UPDATE live_parts SET transcode_epoch = transcode_epoch + 1 WHERE id = ${partId}::uuid RETURNING transcode_epoch`;
  return rows[0]?.transcode_epoch ?? null;
}

async function currentEpoch(partId: string): Promise<number | null> {
  const p = await db().livePart.findUnique({ where: { id: partId }, select: { transcodeEpoch: true } });
  return p?.transcodeEpoch ?? null;
}

/** An ffmpeg of an earlier attempt may outlive its worker (SIGKILL does not reach children). */
async function killLeftoverFfmpeg(partId: string): Promise<void> {
  const raw = await redis().get(ffmpegRecordKey(partId));
  if (!raw) return;
  const { host, pid } = JSON.parse(raw) as { host: string; pid: number };
  if (host !== os.hostname() || !pid) return;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
  if (!cmdline.includes(partId)) return;
  log.warn("killing the ffmpeg of an earlier attempt", { part: partId, pid });
  try {
    process.kill(pid, "SIGKILL");
  } catch {}
  for (let i = 0; i < 50; i++) {
    if (!(await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => ""))) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function probe(url: string): Promise<Partial<SourceInfo>> {
  return new Promise((resolve) => {
    ffmpeg.ffprobe(url, (err, data) => {
      const v = data?.streams.find((s) => s.codec_type === "video");
      if (err || !v) return resolve({});
      const [n, d] = String(v.avg_frame_rate ?? "0/1").split("/").map(Number);
      resolve({ width: v.width, height: v.height, fps: d ? n / d : undefined });
    });
  });
}

export interface LiveTranscodeDeps {
  transcoder: Transcoder;
  store: MediaStore;
}

export async function runLiveTranscode(job: Job<TranscodeJob>, deps: LiveTranscodeDeps): Promise<string> {
  const { partId } = job.data;
  const epoch = await takeEpoch(partId);
  if (epoch === null) return "part no longer exists";
  const part = await db().livePart.findUniqueOrThrow({ where: { id: partId }, include: { session: true } });
  const session = part.session;
  const playlists = new LivePlaylists(deps.store, session.id, session.segmentSeconds);
  if (part.endedAt) {
    await finishIfEnded(playlists, session.id, null);
    return "part had already ended";
  }
  await killLeftoverFfmpeg(partId);

  const input = await internalReadUrl(partId, epoch);
  let source: SourceInfo = {
    width: part.width ?? 0,
    height: part.height ?? 0,
    fps: part.fps ?? 0,
    videoCodec: part.videoCodec?.startsWith("avc1.") ? part.videoCodec : null,
    audioCodec: part.audioCodec,
  };
  if (!source.width || !source.height || !source.fps) {
    const probed = await probe(input);
    source = { ...source, width: source.width || probed.width || 1280, height: source.height || probed.height || 720, fps: source.fps || probed.fps || 30 };
  }
  // A later part of a session keeps the session's master playlist: it encodes the
  // master's rungs that fit its source, and feeds taller renditions from the best
  // rung it has (players on them keep playing; nothing is upscaled).
  const master = await playlists.readMaster();
  const ladder = master ? ladderWithinMaster(master.renditions, source) : parseLadder(session.ladder);
  const prefix = `p${part.index}e${epoch}-`;
  const dirs = new Map<string, string>();
  for (const r of planRenditions(source, ladder)) dirs.set(r.name, await deps.store.localDir(`${liveKey(session.id)}/${r.name}`));
  const { spec, renditions } = buildLiveLadder({
    input,
    source,
    ladder,
    segmentSeconds: session.segmentSeconds,
    outputDir: (r) => dirs.get(r.name)!,
    segmentPrefix: prefix,
    x264Preset: config.x264Preset,
  });
  const fedFrom = aliasRenditions(master?.renditions ?? renditions, renditions);

  await redis().set(writerFlagKey(session.id), `${partId}:${epoch}`, "EX", 15);
  const running = await deps.transcoder.start(spec);
  runningTranscodes.add(running);
  await redis().set(ffmpegRecordKey(partId), JSON.stringify({ host: os.hostname(), pid: running.pid, epoch }), "EX", 86400);
  log.info("transcoding", {
    session: session.id,
    part: part.index,
    epoch,
    attempt: job.attemptsMade + 1,
    source: `${source.width}x${source.height}@${source.fps}`,
    renditions: renditions.map((r) => r.name).join(","),
  });

  const tails = renditions.map((r) => ({ r, tail: new SegmentListTail(`${dirs.get(r.name)}/${prefix}segments.csv`), appended: 0 }));
  const appendedTo = new Map<string, number>();
  let fenced = true;
  let exited = false;
  const exit = running.done.then((res) => {
    exited = true;
    return res;
  });
  const heartbeat = setInterval(() => {
    void redis().set(writerFlagKey(session.id), `${partId}:${epoch}`, "EX", 15).catch(() => {});
  }, 5000);

  const drain = async () => {
    const batches = await Promise.all(tails.map(async (t) => ({ t, segs: await t.tail.poll() })));
    if (batches.every((b) => b.segs.length === 0)) return;
    if ((await currentEpoch(partId)) !== epoch) {
      fenced = false;
      return;
    }
    await playlists.lock(async () => {
      for (const { t, segs } of batches) {
        for (const s of segs) {
          for (const target of fedFrom.get(t.r.name) ?? []) {
            const count = appendedTo.get(target) ?? 0;
            await playlists.append(
              target,
              {
                uri: target === t.r.name ? s.file : `../${t.r.name}/${s.file}`,
                duration: s.end - s.start,
                programDateTime: part.startedAt.getTime() + (s.start * 1000 - part.timelineOffsetMs),
                part: part.index,
              },
              { startsRun: count === 0 },
            );
            appendedTo.set(target, count + 1);
          }
          t.appended++;
        }
      }
      if (!master && !(await playlists.readMaster()) && tails.every((t) => t.appended > 0)) await playlists.writeMaster(renditions);
    });
  };

  try {
    while (!exited && fenced) {
      await drain();
      await Promise.race([exit, new Promise((r) => setTimeout(r, POLL_MS))]);
    }
    if (!fenced) {
      running.kill();
      log.warn("superseded by a newer attempt; stopped", { session: session.id, part: part.index, epoch });
      return "superseded";
    }
    const result = await exit;
    await drain();
    // The publisher leaving closes our input: wait briefly for ingest to record it.
    let ended = (await db().livePart.findUnique({ where: { id: partId } }))?.endedAt;
    for (let i = 0; !ended && result.code === 0 && i < 30; i++) {
      await new Promise((r) => setTimeout(r, 100));
      ended = (await db().livePart.findUnique({ where: { id: partId } }))?.endedAt;
    }
    if (!ended && fenced && (await currentEpoch(partId)) === epoch) {
      const why = result.signal ? `signal ${result.signal}` : `code ${result.code}`;
      throw new Error(`ffmpeg exited (${why}) while the publisher is still live: ${result.stderrTail.slice(-3).join(" | ")}`);
    }
    return "publisher finished";
  } finally {
    clearInterval(heartbeat);
    runningTranscodes.delete(running);
    if (!exited) running.kill();
    await finishIfEnded(playlists, session.id, `${partId}:${epoch}`);
  }
}

/** The master's rungs that fit a (possibly smaller) source of a later part. */
export function ladderWithinMaster(master: Rendition[], source: SourceInfo): Ladder {
  const encoded = master.filter((r) => !r.passthrough);
  const fit = encoded.filter((r) => r.height <= source.height);
  const rungs = (fit.length ? fit : encoded.slice(-1)).map((r) => {
    const height = Math.min(r.height, source.height - (source.height % 2));
    return { height, fps: r.fps, videoKbps: r.videoKbps, name: r.name };
  });
  return { rungs, passthrough: master.some((r) => r.passthrough) };
}

/** Which playlists each encoded rendition feeds: its own, plus master renditions it stands in for. */
export function aliasRenditions(master: Rendition[], encoded: Rendition[]): Map<string, string[]> {
  const out = new Map<string, string[]>(encoded.map((r) => [r.name, [] as string[]]));
  for (const m of master) {
    const same = encoded.find((r) => r.name === m.name);
    const stand = same ?? [...encoded].filter((r) => !r.passthrough).sort((a, b) => b.height - a.height).find((r) => r.height <= m.height) ?? encoded[0];
    out.get(stand.name)!.push(m.name);
  }
  return out;
}

/** Release the pen; if the session has ended meanwhile, close its playlists. */
async function finishIfEnded(playlists: LivePlaylists, sessionId: string, ourFlag: string | null): Promise<void> {
  await playlists.lock(async () => {
    const flag = await redis().get(writerFlagKey(sessionId));
    if (ourFlag && flag === ourFlag) await redis().del(writerFlagKey(sessionId));
    const s = await db().liveSession.findUnique({ where: { id: sessionId }, select: { status: true } });
    if (s?.status === "ended" && (!flag || flag === ourFlag)) await playlists.end();
  });
}

/** Finalize job: once no transcode or slate holds the pen (retried until then),
 * ENDLIST on every playlist, then the session's one replay. */
export async function finalizeSession(sessionId: string, store: MediaStore): Promise<string | null> {
  const session = await db().liveSession.findUnique({ where: { id: sessionId } });
  if (!session) return null;
  const playlists = new LivePlaylists(store, sessionId, session.segmentSeconds);
  await playlists.lock(async () => {
    if (await redis().get(writerFlagKey(sessionId))) throw new Error("a transcode is still writing; retrying");
    await playlists.end();
  });
  return buildReplay(sessionId, store);
}

