// One live part's transcode: read the part's source from ingest's spool, run ONE
// ffmpeg for every rung, and list the segments it cuts in the session's HLS
// playlists until every frame ingest received is listed.
//
// The spool makes the input lossless: ffmpeg reads at its own pace, so a
// transcode slower than real time falls behind but loses nothing, and when the
// publisher leaves it goes on to the last frame. A part may take several ffmpeg
// runs — a worker dies and another takes the job over, or the overload policy
// changes the preset or the rungs — and each run resumes where the listing
// stopped (segmentLister.ts).
//
// BullMQ delivers at least once, so every run takes a new epoch for the part:
// ingest serves the spool only to the newest epoch, and only the newest holds
// the pen (lib/live/pen.ts). Two ffmpeg processes never write one stream.
import type { Job } from "bullmq";
import { UnrecoverableError } from "bullmq";
import { config } from "../lib/config.ts";
import { db } from "../lib/db.ts";
import { classifyFfmpegFailure, failureMessage } from "../lib/ffmpeg/failures.ts";
import { planRenditions, type SourceInfo } from "../lib/ffmpeg/liveLadder.ts";
import { ladderWithinMaster } from "../lib/ffmpeg/masterFit.ts";
import { LivePlaylists } from "../lib/hls/livePlaylists.ts";
import { parseLadder, rungsForSource } from "../lib/ladder.ts";
import { endSession } from "../lib/liveSessions.ts";
import { Pen } from "../lib/live/pen.ts";
import { describeStepChange, initialOverloadState, overloadSteps } from "../lib/live/overload.ts";
import { readTranscodeHealth } from "../lib/live/transcodeHealth.ts";
import { logger } from "../lib/log.ts";
import type { MediaStore } from "../lib/media/store.ts";
import type { TranscodeJob } from "../lib/queue.ts";
import { REDIS_KEY } from "../lib/redisKeys.ts";
import { redis } from "../lib/redis.ts";
import { spoolReadUrl } from "../lib/spool.ts";
import { reportStreamProblem } from "../lib/streamProblem.ts";
import { probeVideo } from "./ffmpegRunner.ts";
import { SegmentLister } from "./live/segmentLister.ts";
import { loadPart, noteStorage, transcodeRun, type Part, type RunContext } from "./live/transcodeRun.ts";
import type { Transcoder } from "./transcoder.ts";
import { COUNTER, count } from "../lib/metrics.ts";

export { runningTranscodes } from "./live/transcodeRun.ts";

const log = logger("worker");
/** Runs in a row that fail without listing anything before the source counts as one we cannot transcode. */
const MAX_FRUITLESS_RUNS = 3;
/** A run that found the disk full waits this long before the next one tries. */
const STORAGE_FULL_WAIT_MS = 3000;

export interface LiveTranscodeDeps {
  store: MediaStore;
  transcoder: Transcoder;
}

async function sourceOf(part: Part): Promise<SourceInfo> {
  let { width, height } = part;
  let fps = part.fps ?? 0;
  if (!width || !height) {
    // The encoder sent neither metadata nor a parsable SPS: ask ffprobe (through a read of the current epoch).
    const probed = await probeVideo(await spoolReadUrl(part, part.transcodeEpoch));
    width = probed.width ?? 1280;
    height = probed.height ?? 720;
    fps = fps || probed.fps || 0;
  }
  return {
    width,
    height,
    fps,
    videoCodec: part.videoCodec?.startsWith("avc1.") ? part.videoCodec : null,
    audioCodec: part.audioCodec,
    audioSampleRate: part.audioSampleRate,
    audioChannels: part.audioChannels,
  };
}

export async function runLiveTranscode(job: Job<TranscodeJob>, deps: LiveTranscodeDeps): Promise<string> {
  const { partId } = job.data;
  let part = await loadPart(partId);
  if (!part) return "part no longer exists";
  if (part.transcodeDoneAt) return "already listed";
  const session = part.session;
  const playlists = new LivePlaylists(deps.store, session.id, session.segmentSeconds);
  const master = await playlists.readMaster();
  const source = await sourceOf(part);
  // A later part keeps the session's master playlist: it encodes the master's rungs that
  // fit its source and feeds taller renditions from the best rung it has (never upscaled).
  // Only rungs this source fills: the overload policy then drops rungs that are really encoded.
  const sessionLadder = parseLadder(session.ladder);
  const baseLadder = master ? ladderWithinMaster(master.renditions, source) : { rungs: rungsForSource(sessionLadder, source), passthrough: sessionLadder.passthrough };
  const steps = overloadSteps(baseLadder, config.x264Preset);
  const masterRenditions = master?.renditions ?? planRenditions(source, baseLadder);
  const lister = new SegmentLister(playlists, part, masterRenditions, master !== null);
  await lister.load();
  // A takeover (or a reconnect) starts from the overload step the session was at.
  const previous = await readTranscodeHealth(session.id);
  const ctx: RunContext = {
    job,
    part,
    source,
    lister,
    steps,
    state: initialOverloadState(Date.now(), Math.min(previous?.level ?? 0, steps.length - 1)),
    changes: previous?.changes ?? [],
    playlists,
    masterRenditions,
    transcoder: deps.transcoder,
  };

  for (;;) {
    const before = ctx.steps[ctx.state.level];
    const outcome = await transcodeRun(ctx);
    if (outcome.kind === "finished") break;
    if (outcome.kind === "superseded") {
      log.warn("superseded by a newer attempt; stopped", { session: session.id, part: part.index });
      return "superseded";
    }
    if (outcome.kind === "step") {
      // decideOverload has moved ctx.state to the new level; the next run uses it.
      const what = describeStepChange(before, ctx.steps[outcome.level]);
      ctx.changes.push({ at: Date.now(), what, why: outcome.why, direction: outcome.direction });
      while (ctx.changes.length > 5) ctx.changes.shift();
      log.warn(outcome.direction === "down" ? "transcode cannot keep up: stepping down" : "transcode has headroom: stepping up", {
        session: session.id,
        part: part.index,
        change: what,
        why: outcome.why,
      });
      continue;
    }
    // ffmpeg failed.
    const failure = classifyFfmpegFailure(outcome.result.stderrTail);
    if (failure.kind === "superseded") return "superseded";
    if (failure.kind === "storage-full") {
      // ffmpeg could not write its scratch files: wait for room and resume from the listing (ingest keeps the source).
      await noteStorage(ctx, true, outcome.result.stderrTail.at(-1));
      await new Promise((r) => setTimeout(r, STORAGE_FULL_WAIT_MS));
      continue;
    }
    if (failure.kind === "source-gone") {
      log.warn("the part's source is no longer on ingest; what was listed stays", { session: session.id, part: part.index });
      break;
    }
    void count(COUNTER.transcodeFailures);
    const fruitless = outcome.listed > 0 ? 0 : await redis().incr(REDIS_KEY.transcodeFailures(partId));
    if (outcome.listed > 0) await redis().del(REDIS_KEY.transcodeFailures(partId));
    else await redis().expire(REDIS_KEY.transcodeFailures(partId), 3600);
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (failure.kind === "unsupported" || fruitless >= MAX_FRUITLESS_RUNS || lastAttempt) {
      await giveUp(part, playlists, deps.store, failureMessage(failure.reason, outcome.result.stderrTail));
      throw new UnrecoverableError(`transcode gave up: ${failure.reason ?? "ffmpeg kept failing"}`);
    }
    const why = outcome.result.signal ? `signal ${outcome.result.signal}` : `code ${outcome.result.code}`;
    throw new Error(`ffmpeg exited (${why}): ${outcome.result.stderrTail.slice(-3).join(" | ")}`);
  }

  // Every frame is listed: this part is done, the next part may list, and if the
  // session is over, whoever releases the pen last closes the playlists.
  await db().livePart.update({ where: { id: partId }, data: { transcodeDoneAt: new Date() } });
  await redis().del(REDIS_KEY.transcodeFailures(partId));
  part = (await loadPart(partId))!;
  const pen = new Pen(playlists, { kind: "transcode", partIndex: part.index, partId, epoch: part.transcodeEpoch });
  await pen.release(deps.store);
  log.info("part fully listed", { session: session.id, part: part.index, holes: lister.holes.length });
  return `listed ${lister.listedSeconds.toFixed(1)} s${lister.holes.length ? `, ${lister.holes.length} hole(s)` : ""}`;
}

/** A source we cannot transcode: say why to the creator, stop the session, and let the next part (if any) list. */
async function giveUp(part: Part, playlists: LivePlaylists, store: MediaStore, reason: string): Promise<void> {
  log.error("transcode gave up; the creator is told why", { session: part.sessionId, part: part.index, reason });
  await db().livePart.update({ where: { id: part.id }, data: { transcodeDoneAt: new Date(), transcodeError: reason } });
  await reportStreamProblem(part.session.channelId, reason).catch(() => {});
  const latest = await db().livePart.findFirst({ where: { sessionId: part.sessionId }, orderBy: { index: "desc" }, select: { id: true } });
  if (latest?.id === part.id) await endSession(part.sessionId, "transcode-failed");
  const fresh = await db().livePart.findUniqueOrThrow({ where: { id: part.id }, select: { transcodeEpoch: true } });
  await new Pen(playlists, { kind: "transcode", partIndex: part.index, partId: part.id, epoch: fresh.transcodeEpoch }).release(store);
}
