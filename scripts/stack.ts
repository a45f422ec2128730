// The whole platform on this machine for a test or benchmark run: a database of
// its own, a Redis key prefix of its own, a temporary media directory, free
// ports, and every role (web, ingest, two workers) started and supervised.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { config } from "../lib/config.ts";
import { dropDatabase, ensureDatabase, migrate } from "../lib/migrate.ts";
import { buildWebIfNeeded } from "./build.ts";
import { compileRolesIfNeeded } from "./compileRoles.ts";
import { ensureSelfSignedCertificate } from "./selfSignedCert.ts";
import { mountSizedVolume, unmountVolume } from "./mediaVolume.ts";
import { startLivehouseHomeserver } from "./homeserver.ts";
import { startMailCatcher } from "./mailCatcher.ts";
import { APPSERVICE, CAPACITY_CHECK, EDGE, INGEST, PLATFORM, WEB, WORKER, runOnce, startRole, type SupervisedRole } from "./roles.ts";
import { freePort, freeUdpPort, waitForHttp, waitForPort } from "./ports.ts";
import { ensureS3Root } from "./s3Server.ts";
import type { SynapseInstance } from "./synapse.ts";
import { ensureSynapseRoot } from "./synapseRoot.ts";
import { startTestS3 } from "./testS3.ts";
import { ensureChromium, ensureFfmpeg, ensurePostgres, ensureRedis, say } from "./services.ts";

const root = path.resolve(import.meta.dirname, "..");

export interface Stack {
  env: NodeJS.ProcessEnv;
  homeserver: SynapseInstance;
  baseUrl: string;
  roles: SupervisedRole[];
  stop(): Promise<void>;
}

export interface StackOptions {
  name: string;
  logDir: string;
  segmentSeconds?: number;
  workers?: number;
  /** Run the S3 test server (default true). */
  s3?: boolean;
  /** The roles' media store (default local); "s3" puts media in a bucket of the run's S3 server. */
  mediaStore?: "local" | "s3";
  /** web, ingest, one worker and appservice in one process (scripts/platform.ts), as LIVEHOUSE_ONE_PROCESS=1 runs them. */
  oneProcess?: boolean;
}

export async function startStack(opts: StackOptions): Promise<Stack> {
  await ensurePostgres(config.databaseUrl);
  await ensureRedis(config.redisUrl);
  const chromium = ensureChromium();
  ensureFfmpeg();
  ensureSynapseRoot();
  // The S3 server is for the tests (and bench:storage); a benchmark that does not use it leaves the machine to what it measures.
  const withS3 = (opts.s3 ?? true) || opts.mediaStore === "s3";
  if (withS3) ensureS3Root();
  const runId = `${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
  const dbUrl = new URL(config.databaseUrl);
  dbUrl.pathname = `/livehouse_${opts.name}_${runId}`;
  const databaseUrl = dbUrl.toString();
  const redisPrefix = `lh:${opts.name}:${runId}:`;
  const mediaDir = mkdtempSync(path.join(os.tmpdir(), `livehouse-${opts.name}-`));
  // The media directory is a disk of its own (a test fills it up); scratch, spool and the rest are not on it.
  const mediaVolumeMb = Number(process.env.LH_TEST_MEDIA_DISK_MB || 16384);
  const mediaVolume = mountSizedVolume(mediaDir, mediaVolumeMb);
  rmSync(opts.logDir, { recursive: true, force: true });
  await ensureDatabase(databaseUrl);
  await migrate(databaseUrl);
  buildWebIfNeeded();
  await compileRolesIfNeeded();

  const [port, rtmpPort, ingestInternalPort, rtmpsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const tls = ensureSelfSignedCertificate(`${mediaDir}-tls`);
  const [hsClientPort, hsFederationPort, appservicePort] = [await freePort(), await freePort(), await freePort()];
  const hsMetricsPort = await freePort();
  const [edgeSignalingPort, edgeRtpPort, webrtcUdpPort] = [await freePort(), await freeUdpPort(), await freeUdpPort()];
  const baseUrl = `http://127.0.0.1:${port}`;
  // Password resets and email changes go out through real SMTP to a catcher of this run.
  const mail = await startMailCatcher({ dir: `${mediaDir}-mail`, port: await freePort(), user: "livehouse", password: randomBytes(9).toString("base64url") });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    REDIS_PREFIX: redisPrefix,
    WEB_HOST: "127.0.0.1",
    WEB_PORT: String(port),
    // Set, as in production: links in mail are built from it, never from a request's Host.
    PUBLIC_URL: baseUrl,
    SMTP_URL: mail.url,
    MAIL_FROM: "Livehouse test <no-reply@test.livehouse>",
    LH_TEST_MAIL_DIR: mail.dir,
    TRUST_PROXY: "0",
    METRICS_TOKEN: randomBytes(18).toString("base64url"),
    // Tests' webhook receivers listen on 127.0.0.1; test/unit/webhookDestination.test.ts proves the default refuses them.
    WEBHOOK_ALLOW_PRIVATE: "1",
    CHROMIUM_PATH: chromium,
    LH_TEST_BASE_URL: baseUrl,
    RTMP_PORT: String(rtmpPort),
    RTMP_BIND: "127.0.0.1",
    INGEST_INTERNAL_PORT: String(ingestInternalPort),
    INGEST_INTERNAL_BIND: "127.0.0.1",
    INGEST_INTERNAL_URL: `http://127.0.0.1:${ingestInternalPort}`,
    INGEST_SPOOL_DIR: `${mediaDir}-spool`,
    RTMPS_PORT: String(rtmpsPort),
    RTMPS_CERT_FILE: tls.certFile,
    RTMPS_KEY_FILE: tls.keyFile,
    // One loopback address plays the TCP proxy in tests; every other address is a direct client.
    INGEST_PROXY_PROTOCOL: "1",
    INGEST_PROXY_TRUSTED: "127.0.0.99",
    MEDIA_DIR: mediaDir,
    ...(mediaVolume ? { LH_TEST_MEDIA_DISK_MB: String(mediaVolumeMb) } : {}),
    HLS_SEGMENT_SECONDS: String(opts.segmentSeconds ?? 1),
    WORKER_CONCURRENCY: "2",
    LH_TEST_LOG_DIR: opts.logDir,
    MATRIX_HOMESERVER_URL: `http://127.0.0.1:${hsClientPort}`,
    MATRIX_PUBLIC_URL: "",
    MATRIX_SERVER_NAME: `localhost:${hsFederationPort}`,
    MATRIX_REGISTRATION_FILE: path.join(mediaDir, "..", `${path.basename(mediaDir)}-matrix`, "appservice.yaml"),
    APPSERVICE_BIND: "127.0.0.1",
    APPSERVICE_PORT: String(appservicePort),
    APPSERVICE_URL: `http://127.0.0.1:${appservicePort}`,
    EDGE_SIGNALING_PORT: String(edgeSignalingPort),
    EDGE_INTERNAL_URL: `http://127.0.0.1:${edgeSignalingPort}`,
    EDGE_RTP_PORT: String(edgeRtpPort),
    WEBRTC_UDP_PORT: String(webrtcUdpPort),
    WEBRTC_BIND: "127.0.0.1",
    // A peer connection that fails says why in edge.log.
    WEBRTC_LOG_LEVEL: process.env.WEBRTC_LOG_LEVEL ?? "Warning",
  };
  // The registration is generated from this process's configuration.
  for (const k of ["MATRIX_HOMESERVER_URL", "MATRIX_SERVER_NAME", "MATRIX_REGISTRATION_FILE", "APPSERVICE_PORT", "APPSERVICE_URL"]) process.env[k] = env[k];
  const matrixDir = path.dirname(env.MATRIX_REGISTRATION_FILE!);
  const synapseDb = new URL(config.databaseUrl);
  synapseDb.pathname = `/synapse_${opts.name}_${runId}`;
  // Comes up while Synapse does.
  const s3Start = withS3 ? startTestS3({ dataDir: `${mediaDir}-s3`, logFile: path.join(opts.logDir, "s3.log") }) : Promise.resolve(null);
  s3Start.catch(() => {}); // awaited below; not unhandled if Synapse fails first
  const homeserver = await startLivehouseHomeserver({
    postgresUrl: synapseDb.toString(),
    name: `lh-${opts.name}-${runId}`,
    dataDir: path.join(matrixDir, "synapse"),
    logFile: path.join(opts.logDir, "synapse.log"),
    clientPort: hsClientPort,
    federationPort: hsFederationPort,
    profile: "test",
    metricsPort: hsMetricsPort,
  });
  env.LH_TEST_MATRIX_SHARED_SECRET = homeserver.registrationSharedSecret;
  env.LH_TEST_SYNAPSE_METRICS_URL = `http://127.0.0.1:${hsMetricsPort}/_synapse/metrics`;
  const s3 = await s3Start;
  if (s3) Object.assign(env, s3.env);
  if (s3 && opts.mediaStore === "s3") {
    // The roles' own store: a bucket of this run's server (the workers create it at start).
    Object.assign(env, {
      MEDIA_STORE: "s3",
      S3_ENDPOINT: s3.server.endpoint,
      S3_REGION: s3.server.region,
      S3_BUCKET: `lh-${opts.name}-${runId}`.toLowerCase().replace(/[^a-z0-9-]/g, "-"),
      S3_ACCESS_KEY_ID: s3.server.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.server.secretAccessKey,
    });
  }
  const log = (name: string) => path.join(opts.logDir, `${name}.log`);
  // The default ladder (TRANSCODE_LADDER=auto) is measured on this machine before the roles load it.
  await runOnce(CAPACITY_CHECK, env, log("capacity"));
  const roles = opts.oneProcess
    ? [startRole(PLATFORM, { env: { ...env, SCRATCH_DIR: `${mediaDir}-scratch-worker1` }, logFile: log("platform"), restart: true })]
    : [
        startRole(WEB, { env, logFile: log("web"), restart: true }),
        startRole(INGEST, { env, logFile: log("ingest"), restart: true }),
        startRole(APPSERVICE, { env, logFile: log("appservice"), restart: true }),
      ];
  roles.push(startRole(EDGE, { env, logFile: log("edge"), restart: true }));
  // Two workers by default, so a test can kill one and watch the other take over.
  // Each worker works in a scratch directory of its own, as on separate hosts.
  for (let i = opts.oneProcess ? 2 : 1; i <= (opts.workers ?? 2); i++) {
    roles.push(startRole(WORKER, { env: { ...env, SCRATCH_DIR: `${mediaDir}-scratch-worker${i}` }, label: `worker${i}`, logFile: log(`worker${i}`), restart: true }));
  }
  await waitForHttp(`${baseUrl}/api/health`);
  await waitForPort("127.0.0.1", rtmpPort);
  await waitForHttp(`${env.APPSERVICE_URL}/_livehouse/v1/health`);
  await waitForPort("127.0.0.1", edgeSignalingPort);

  return {
    env,
    homeserver,
    baseUrl,
    roles,
    async stop() {
      for (const r of roles) r.stop();
      await new Promise((r) => setTimeout(r, 1500));
      await homeserver.stop();
      await mail.stop();
      await s3?.stop();
      await dropDatabase(synapseDb.toString()).catch((e) => say(`could not drop ${synapseDb.pathname}: ${e.message}`));
      unmountVolume(mediaDir);
      rmSync(mediaDir, { recursive: true, force: true });
      rmSync(`${mediaDir}-spool`, { recursive: true, force: true });
      for (let i = 1; i <= (opts.workers ?? 2); i++) rmSync(`${mediaDir}-scratch-worker${i}`, { recursive: true, force: true });
      rmSync(`${mediaDir}-tls`, { recursive: true, force: true });
      rmSync(mail.dir, { recursive: true, force: true });
      rmSync(matrixDir, { recursive: true, force: true });
      await dropDatabase(databaseUrl).catch((e) => say(`could not drop ${dbUrl.pathname}: ${e.message}`));
      const r = new Redis(config.redisUrl);
      const keys = await r.keys(`${redisPrefix}*`);
      for (let i = 0; i < keys.length; i += 500) await r.del(...keys.slice(i, i + 500));
      r.disconnect();
    },
  };
}

export { root };
