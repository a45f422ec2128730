// The workers role (`npm run worker`): BullMQ consumers for live transcodes,
// slates, replay exports and live-session control jobs. Run as many as you like,
// on any host that reaches Redis, PostgreSQL, ingest's internal port
// (INGEST_INTERNAL_URL) and the media directory.
import { Worker } from "bullmq";
import { config } from "../lib/config.ts";
import { closePlaylistsIfEnded } from "../lib/live/pen.ts";
import { graceExpired } from "../lib/liveSessions.ts";
import { logger } from "../lib/log.ts";
import { mediaStore } from "../lib/media/store.ts";
import { QUEUE, bullConnection, bullPrefix, scheduleSweep, type ControlJob, type ExportJob, type SlateJob, type TranscodeJob } from "../lib/queue.ts";
import { purgeSessionMedia } from "../lib/replays.ts";
import { runReplayExport } from "./replayExport.ts";
import { runSlate } from "./slate.ts";
import { runLiveTranscode, runningTranscodes } from "./liveTranscode.ts";
import { sweep } from "./sweep.ts";
import { LocalFfmpegTranscoder } from "./transcoder.ts";
import { ensureCapacityProfile } from "./capacityCheck.ts";

const log = logger("worker");
const store = mediaStore();
const transcoder = new LocalFfmpegTranscoder();

// TRANSCODE_LADDER=auto: publish this host's measured capacity (measured once per host and cached).
await ensureCapacityProfile();

// A live transcode runs for hours. Its lock is renewed every 2.5 s while this
// process lives; if the process dies, another worker takes the job over within
// lockDuration + stalledInterval (about 7 s), and it may do so many times.
const transcodeWorker = new Worker<TranscodeJob, string>(QUEUE.transcode, (job) => runLiveTranscode(job, { store, transcoder }), {
  connection: bullConnection(),
  prefix: bullPrefix(),
  concurrency: config.workerConcurrency,
  lockDuration: 5000,
  stalledInterval: 2000,
  maxStalledCount: 1000,
});

// Slates and exports also resume elsewhere within seconds if this process dies.
const quickTakeover = { lockDuration: 5000, stalledInterval: 2000, maxStalledCount: 100 };
const slateWorker = new Worker<SlateJob, string>(QUEUE.slate, (job) => runSlate(job, store), {
  connection: bullConnection(),
  prefix: bullPrefix(),
  concurrency: 50,
  ...quickTakeover,
});
const exportWorker = new Worker<ExportJob, string>(QUEUE.export, (job) => runReplayExport(job, store), {
  connection: bullConnection(),
  prefix: bullPrefix(),
  concurrency: 1,
  ...quickTakeover,
});

const controlWorker = new Worker<ControlJob>(
  QUEUE.control,
  async (job) => {
    if (job.data.kind === "grace-expired") await graceExpired(job.data.sessionId, job.data.partIndex);
    // Closes the playlists now, or leaves it to the transcode still listing (it closes them when done).
    else if (job.data.kind === "finalize") await closePlaylistsIfEnded(job.data.sessionId, store);
    else if (job.data.kind === "purge-media") await purgeSessionMedia(job.data.sessionIds, store);
    else await sweep(store);
  },
  { connection: bullConnection(), prefix: bullPrefix(), concurrency: 8 },
);

for (const w of [transcodeWorker, controlWorker, slateWorker, exportWorker]) {
  w.on("failed", (job, err) => {
    const final = err.name === "UnrecoverableError" || (job && job.attemptsMade >= (job.opts.attempts ?? 1));
    log.warn(final ? "job failed for good" : "job failed; it will be retried", { queue: w.name, job: job?.id, attempt: job?.attemptsMade, error: err.message.slice(0, 300) });
  });
  w.on("error", (err) => log.error("worker error", { queue: w.name, error: String(err) }));
}
transcodeWorker.on("ready", () => log.info("ready", { concurrency: config.workerConcurrency, pid: process.pid }));
scheduleSweep().catch((err) => log.error("could not schedule the stale-session sweep", { error: String(err) }));

async function stop() {
  // Running transcodes stop with us; another worker resumes them (with a higher epoch).
  for (const t of runningTranscodes) t.kill();
  await Promise.allSettled([transcodeWorker, controlWorker, slateWorker, exportWorker].map((w) => w.close(true)));
  process.exit(0);
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
