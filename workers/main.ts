// The workers role (`npm run worker`): BullMQ consumers for live transcodes,
// slates, replay exports and live-session control jobs. Run as many as you like,
// on any host that reaches Redis, PostgreSQL, the ingests' internal ports and the
// media store; each works in a scratch directory of its own (SCRATCH_DIR).
import { Worker } from "bullmq";
import { config } from "../lib/config.ts";
import { closePlaylistsIfEnded } from "../lib/live/pen.ts";
import { graceExpired } from "../lib/liveSessions.ts";
import { logger } from "../lib/log.ts";
import { onShutdown } from "../lib/shutdown.ts";
import { S3MediaStore } from "../lib/media/s3Store.ts";
import { mediaStore } from "../lib/media/store.ts";
import { QUEUE, bullConnection, bullPrefix, scheduleSweep, type ControlJob, type ExportJob, type SlateJob, type TranscodeJob, type WebhookJob } from "../lib/queue.ts";
import { purgeSessionMedia } from "../lib/replays.ts";
import { runReplayExport } from "./replayExport.ts";
import { runSlate } from "./slate.ts";
import { runLiveTranscode, runningTranscodes } from "./liveTranscode.ts";
import { storageSweep } from "./storageSweep.ts";
import { sweep } from "./sweep.ts";
import { runWebhookJob } from "./webhooks.ts";
import { LocalFfmpegTranscoder } from "./transcoder.ts";
import { ensureCapacityProfile } from "./capacityCheck.ts";

const log = logger("worker");

/** Creates the bucket if missing, waiting for the S3 server (it may start after us under compose). */
async function prepareBucket(s3: S3MediaStore): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await s3.ensureBucket();
      if (config.s3.publicRead) await s3.allowPublicMediaReads();
      log.info("media store: S3 bucket ready", { endpoint: s3.settings.endpoint, bucket: s3.settings.bucket, publicRead: config.s3.publicRead });
      return;
    } catch (err) {
      if (attempt >= 30) throw err;
      if (attempt === 1) log.warn("media store: the S3 server does not answer yet; retrying", { endpoint: s3.settings.endpoint, error: String((err as Error).message).slice(0, 200) });
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}
const store = mediaStore();
const transcoder = new LocalFfmpegTranscoder();

// Object storage: the bucket exists (and, when asked, browsers may read the viewable keys) before any job writes.
if (store instanceof S3MediaStore) await prepareBucket(store);

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
    else if (job.data.kind === "storage-sweep") await storageSweep(store);
    else await sweep(store);
  },
  { connection: bullConnection(), prefix: bullPrefix(), concurrency: 8 },
);

// Webhook deliveries wait on other people's servers (up to WEBHOOK_TIMEOUT_SECONDS each): many at once.
const webhookWorker = new Worker<WebhookJob, string>(QUEUE.webhooks, runWebhookJob, { connection: bullConnection(), prefix: bullPrefix(), concurrency: 20 });

for (const w of [transcodeWorker, controlWorker, slateWorker, exportWorker, webhookWorker]) {
  w.on("failed", (job, err) => {
    const final = err.name === "UnrecoverableError" || (job && job.attemptsMade >= (job.opts.attempts ?? 1));
    log.warn(final ? "job failed for good" : "job failed; it will be retried", { queue: w.name, job: job?.id, attempt: job?.attemptsMade, error: err.message.slice(0, 300) });
  });
  w.on("error", (err) => log.error("worker error", { queue: w.name, error: String(err) }));
}
transcodeWorker.on("ready", () => log.info("ready", { concurrency: config.workerConcurrency, pid: process.pid }));
scheduleSweep().catch((err) => log.error("could not schedule the stale-session sweep", { error: String(err) }));

onShutdown("worker", async () => {
  // Running transcodes stop with us; another worker resumes them (with a higher epoch).
  for (const t of runningTranscodes) t.kill();
  await Promise.allSettled([transcodeWorker, controlWorker, slateWorker, exportWorker, webhookWorker].map((w) => w.close(true)));
});
