// One ffmpeg run of a live part's transcode (see ../liveTranscode.ts for the job):
// read the spool from where the listing stopped, list what ffmpeg cuts while
// holding the pen, measure speed and lag every couple of seconds and ask the
// overload policy, until the source ends, a step is due, the pen is lost or
// ffmpeg fails.
import type { Job } from "bullmq";
import { config } from "../../lib/config.ts";
import { db } from "../../lib/db.ts";
import type { Rendition, SourceInfo } from "../../lib/ffmpeg/liveLadder.ts";
import { aliasRenditions } from "../../lib/ffmpeg/masterFit.ts";
import type { LivePlaylists } from "../../lib/hls/livePlaylists.ts";
import { readIngestStats } from "../../lib/ingestStats.ts";
import { Pen, PEN_RENEW_MS } from "../../lib/live/pen.ts";
import { decideOverload, isBehind, type OverloadState, type OverloadStep } from "../../lib/live/overload.ts";
import { writeTranscodeHealth, type OverloadChange } from "../../lib/live/transcodeHealth.ts";
import { logger } from "../../lib/log.ts";
import type { TranscodeJob } from "../../lib/queue.ts";
import { REDIS_KEY } from "../../lib/redisKeys.ts";
import { redis } from "../../lib/redis.ts";
import { spoolReadUrl, spoolStartMs } from "../../lib/spool.ts";
import { reportStorageFull, reportStorageOk } from "../../lib/media/storageHealth.ts";
import { isStorageFull } from "../../lib/media/store.ts";
import { clearStreamProblem } from "../../lib/streamProblem.ts";
import type { FfmpegResult } from "../ffmpegRunner.ts";
import type { Transcoder } from "../transcoder.ts";
import { CpuSampler } from "./cpuSampler.ts";
import { ProgressMonitor } from "./progressMonitor.ts";
import { webrtcTargetFor } from "./webrtcTarget.ts";
import type { SegmentLister } from "./segmentLister.ts";

const log = logger("worker");
const POLL_MS = 100;
const TAKE_PEN_EVERY_MS = 500;
const SAMPLE_EVERY_MS = 2000;
/** The last listed segment may end this far before the last media ingest received. */
const END_TOLERANCE_SECONDS = 1;

/** While the store is full, publishing is tried again this often. */
const STORAGE_RETRY_MS = 2000;

/** ffmpeg processes this worker runs, so that stopping the worker stops them too. */
export const runningTranscodes = new Set<{ kill(): void }>();

export type Part = NonNullable<Awaited<ReturnType<typeof loadPart>>>;

export function loadPart(partId: string) {
  return db().livePart.findUnique({ where: { id: partId }, include: { session: true } });
}

async function takeEpoch(partId: string): Promise<number | null> {
  const rows = await db().$queryRaw<{ transcode_epoch: number }[]>`
    UPDATE live_parts SET transcode_epoch = transcode_epoch + 1 WHERE id = ${partId}::uuid RETURNING transcode_epoch`;
  return rows[0]?.transcode_epoch ?? null;
}

export type RunOutcome =
  | { kind: "finished" }
  | { kind: "step"; level: number; why: string; direction: "down" | "up" }
  | { kind: "superseded" }
  | { kind: "failed"; result: FfmpegResult; listed: number };

export interface RunContext {
  job: Job<TranscodeJob>;
  part: Part;
  source: SourceInfo;
  lister: SegmentLister;
  steps: OverloadStep[];
  state: OverloadState;
  changes: OverloadChange[];
  playlists: LivePlaylists;
  masterRenditions: Rendition[];
  transcoder: Transcoder;
  /** The last sample found the transcode behind. */
  behind?: boolean;
  /** The media store refused the last publish for want of room (told to the creator once per episode). */
  storageFull?: boolean;
}

/**
 * Records that the store refused (or took again) this run's media: the instance-wide flag
 * the dashboards show, and one log line per episode from this run.
 */
export async function noteStorage(ctx: Pick<RunContext, "part" | "storageFull">, full: boolean, err?: unknown): Promise<void> {
  const where = { session: ctx.part.sessionId, part: ctx.part.index };
  if (full) {
    const detail = String((err as Error)?.message ?? err ?? "no room").slice(0, 200);
    await reportStorageFull(detail).catch(() => {});
    if (!ctx.storageFull) log.error("media storage is full: segments wait on this worker until there is room", { ...where, error: detail });
  } else if (ctx.storageFull) {
    await reportStorageOk().catch(() => {});
    log.info("media storage has room again: publishing resumed", where);
  }
  ctx.storageFull = full;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One ffmpeg run from the spool, until the source ends, the policy wants another step, or it fails. */
export async function transcodeRun(ctx: RunContext): Promise<RunOutcome> {
  const { part, lister, playlists } = ctx;
  const session = part.session;
  const epoch = await takeEpoch(part.id);
  if (epoch === null) return { kind: "superseded" };
  const step = ctx.steps[ctx.state.level];
  const from = lister.resumeFromMs();
  // Where ingest will start this read (a keyframe): keyframes are forced on multiples of the
  // segment length of the part's own timeline, so every run cuts at the same instants.
  const startMs = await spoolStartMs(part, epoch, from);
  if (startMs === null) return { kind: "failed", result: { code: 1, signal: null, stderrTail: ["Server returned 404 Not Found (no spool for this part)"] }, listed: 0 };
  const monitor = new ProgressMonitor();
  monitor.newRun(startMs / 1000);
  const running = await ctx.transcoder.start({
    partId: part.id,
    epoch,
    input: await spoolReadUrl(part, epoch, from),
    inputFormat: "flv",
    inputStartSeconds: startMs / 1000,
    source: ctx.source,
    ladder: step.ladder,
    segmentSeconds: session.segmentSeconds,
    segmentPrefix: `p${part.index}e${epoch}-`,
    x264Preset: step.preset,
    webrtc: (await webrtcTargetFor(session)) ?? undefined,
    onProgress: monitor.onProgress,
  });
  lister.startRun(epoch, running, aliasRenditions(ctx.masterRenditions, running.renditions));
  runningTranscodes.add(running);
  const cpu = new CpuSampler(running.pid);
  log.info("transcoding", {
    session: session.id,
    part: part.index,
    epoch,
    attempt: ctx.job.attemptsMade + 1,
    from: from === null ? "start" : `${(from / 1000).toFixed(2)} s`,
    source: `${ctx.source.width}x${ctx.source.height}@${ctx.source.fps}`,
    preset: step.preset,
    renditions: running.renditions.map((r) => r.name).join(","),
    webrtc: running.webrtc?.name ?? null,
  });

  const pen = new Pen(playlists, { kind: "transcode", partIndex: part.index, partId: part.id, epoch });
  let holding = false;
  let nextTake = 0;
  let nextSample = Date.now() + SAMPLE_EVERY_MS;
  let nextRenew = Date.now() + PEN_RENEW_MS;
  let listedThisRun = 0;
  let firstSeen = false;
  let exited: FfmpegResult | null = null;
  const exit = running.done.then((r) => (exited = r));

  // Publishes and lists what is cut; false when the pen was taken over (a newer attempt
  // writes now). A full store is not an error here: what is cut waits, and ffmpeg goes on.
  const listCollected = async (): Promise<boolean> => {
    let polled = 0;
    try {
      polled = await lister.poll();
    } catch (err) {
      if (!isStorageFull(err)) throw err;
      await noteStorage(ctx, true, err);
    }
    if (polled && !firstSeen) {
      firstSeen = true;
      const first = lister.firstCollectedStart();
      if (first !== null) monitor.firstSegmentAt(first);
    }
    if (!holding || lister.pendingCount === 0) return true;
    let listed: number | null;
    try {
      listed = await pen.whileHeld(() => lister.list());
    } catch (err) {
      if (!isStorageFull(err)) throw err;
      await noteStorage(ctx, true, err);
      return true;
    }
    if (listed === null) return false;
    if (listed > 0) {
      await noteStorage(ctx, false);
      if (listedThisRun === 0) await clearStreamProblem(session.channelId).catch(() => {});
      listedThisRun += listed;
      const until = lister.listedUntilMs();
      if (until !== null) await redis().set(REDIS_KEY.spoolListedUntil(part.id), String(until), "EX", 86400);
    }
    return true;
  };

  const stop = (outcome: RunOutcome): RunOutcome => {
    running.kill();
    return outcome;
  };

  try {
    while (!exited) {
      const now = Date.now();
      if (!holding && now >= nextTake) {
        holding = await pen.tryTake();
        nextTake = now + TAKE_PEN_EVERY_MS;
      }
      if (!(await listCollected())) return stop({ kind: "superseded" });
      if (holding && now >= nextRenew) {
        nextRenew = now + PEN_RENEW_MS;
        if (!(await pen.renew())) return stop({ kind: "superseded" });
      }
      if (now >= nextSample) {
        nextSample = now + SAMPLE_EVERY_MS;
        const decision = await sample(ctx, monitor, cpu, now);
        if (decision) {
          running.kill();
          await exit;
          // Segments cut before the kill are whole: list them, the next run starts after them.
          if (holding && !(await listCollected())) return { kind: "superseded" };
          return decision;
        }
      }
      await Promise.race([exit, sleep(POLL_MS)]);
    }
    const result = exited as FfmpegResult;
    if (result.code !== 0) {
      if (holding) await listCollected();
      return { kind: "failed", result, listed: listedThisRun };
    }
    // The spool ended: the publisher has left. List the rest, waiting for the pen if an earlier part still holds it.
    while (!holding) {
      holding = await pen.tryTake();
      if (!holding) await sleep(TAKE_PEN_EVERY_MS);
    }
    if (!(await listCollected())) return { kind: "superseded" };
    // Whatever still waits for room in the store is published and listed before the run may end.
    while (lister.unpublishedCount > 0 || lister.pendingCount > 0) {
      await sleep(STORAGE_RETRY_MS);
      if (!(await pen.renew())) return { kind: "superseded" };
      if (!(await listCollected())) return { kind: "superseded" };
    }
    const stats = await readIngestStats(part.id);
    const listedTo = (lister.listedUntilMs() ?? 0) / 1000;
    if (stats && (!stats.finished || (stats.receivedMediaMs !== null && listedTo < stats.receivedMediaMs / 1000 - END_TOLERANCE_SECONDS))) {
      // The read ended early (ingest restarting, a connection cut): the next run resumes where listing stopped.
      return { kind: "failed", result: { code: 0, signal: null, stderrTail: [`the spool read ended at ${listedTo.toFixed(2)} s before the source's end`] }, listed: listedThisRun };
    }
    // Everything is listed: nothing behind, nothing left to finish.
    await writeHealth(ctx, null, 0, false);
    return { kind: "finished" };
  } finally {
    runningTranscodes.delete(running);
    if (!exited) running.kill();
    await running.done;
    await running.cleanup().catch(() => {});
  }
}

/** Measures, publishes the health record, and asks the overload policy; returns a step to take, if any. */
async function sample(ctx: RunContext, monitor: ProgressMonitor, cpu: CpuSampler, now: number): Promise<RunOutcome | null> {
  const stats = await readIngestStats(ctx.part.id);
  const lag = monitor.lag(stats, now);
  const speed = monitor.speed(now);
  const { idleCores, processCores } = cpu.sample(now);
  const s = { at: now, speed, lagSeconds: lag, idleCores, ffmpegCores: processCores };
  const { state, action } = decideOverload(ctx.state, s, ctx.steps, {
    mode: config.transcodeOverload,
    segmentSeconds: ctx.part.session.segmentSeconds,
    upAfterMs: config.transcodeStepUpAfterSeconds * 1000,
  });
  ctx.state = state;
  const behind = isBehind(s, ctx.part.session.segmentSeconds);
  await writeHealth(ctx, speed, lag, stats?.finished ?? false, behind);
  // Logged once per episode, not every sample.
  const started = behind && !ctx.behind;
  ctx.behind = behind;
  if (started) {
    log.warn("transcode is behind the live edge", {
      session: ctx.part.sessionId,
      part: ctx.part.index,
      speed: speed?.toFixed(2),
      lagSeconds: lag?.toFixed(1),
      policy: config.transcodeOverload,
    });
  }
  if (action.kind === "none") return null;
  return { kind: "step", level: action.to, why: action.why, direction: action.kind };
}

async function writeHealth(ctx: RunContext, speed: number | null, lag: number | null, draining: boolean, behind = false): Promise<void> {
  // The step in force (after a decision, the one the next run uses).
  const step = ctx.steps[ctx.state.level];
  await writeTranscodeHealth({
    sessionId: ctx.part.sessionId,
    partIndex: ctx.part.index,
    updatedAt: Date.now(),
    speed,
    lagSeconds: lag,
    behind,
    draining,
    mode: config.transcodeOverload,
    level: ctx.state.level,
    preset: step.preset,
    encoded: step.ladder.rungs.map((r) => r.name).concat(step.ladder.passthrough ? ["source"] : []),
    dropped: step.dropped,
    changes: ctx.changes,
  }).catch(() => {});
}
