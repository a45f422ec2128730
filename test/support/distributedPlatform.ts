// A second Livehouse platform inside a test, laid out as roles on separate hosts
// would be: media in an S3 bucket (the run's radosgw), two ingest hosts, two
// workers and a web process, each with a directory of its own and none shared,
// its own database and Redis prefix. No chat or WebRTC roles: this is about media.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { config } from "../../lib/config.ts";
import { S3MediaStore, type S3Settings } from "../../lib/media/s3Store.ts";
import { dropDatabase, ensureDatabase, migrate } from "../../lib/migrate.ts";
import { freePort, waitForHttp, waitForPort } from "../../scripts/ports.ts";
import { INGEST, WEB, WORKER, startRole, type SupervisedRole } from "../../scripts/roles.ts";
import { testS3Settings } from "./s3.ts";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "../..");

export interface Host {
  label: string;
  /** The only directory this role may write to. */
  dir: string;
}

export interface DistributedPlatform {
  baseUrl: string;
  env: Record<string, string | undefined>;
  s3: S3Settings;
  store: S3MediaStore;
  ingests: { label: string; rtmpBase: string; internalUrl: string; spoolDir: string }[];
  hosts: Host[];
  roles: SupervisedRole[];
  /** A creator, channel and key on this platform (its database), through the real rules. */
  seed(slug: string, ladder: string): Promise<{ userId: string; channelId: string; slug: string; key: string; cookie: string }>;
  /** Every file under the hosts' directories (what each role left on its own disk). */
  hostFiles(): Record<string, string[]>;
  stop(): Promise<void>;
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(path.relative(dir, path.join(e.parentPath, e.name)));
  return out;
}

export async function startDistributedPlatform(opts: { logDir: string; ladder?: string; publicMedia?: boolean }): Promise<DistributedPlatform> {
  const id = `${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
  const db = new URL(config.databaseUrl);
  db.pathname = `/livehouse_dist_${id}`;
  const databaseUrl = db.toString();
  await ensureDatabase(databaseUrl);
  await migrate(databaseUrl);
  const s3 = testS3Settings({ bucket: `lh-dist-${id.replace(/_/g, "-")}` });
  const store = new S3MediaStore(s3);
  await store.ensureBucket();
  const hosts: Host[] = [];
  const host = (label: string): Host => {
    const h = { label, dir: mkdtempSync(path.join(os.tmpdir(), `lh-dist-${label}-`)) };
    hosts.push(h);
    return h;
  };
  const webPort = await freePort();
  const baseUrl = `http://127.0.0.1:${webPort}`;
  const common: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATABASE_URL: databaseUrl,
    REDIS_URL: config.redisUrl,
    REDIS_PREFIX: `lh:dist:${id}:`,
    MEDIA_STORE: "s3",
    S3_ENDPOINT: s3.endpoint,
    S3_REGION: s3.region,
    S3_BUCKET: s3.bucket,
    S3_ACCESS_KEY_ID: s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    S3_FORCE_PATH_STYLE: "true",
    ...(opts.publicMedia ? { MEDIA_PUBLIC_URL: `${s3.endpoint}/${s3.bucket}`, S3_PUBLIC_READ: "1" } : {}),
    PUBLIC_URL: baseUrl,
    TRANSCODE_LADDER: opts.ladder ?? "720p30@2500k|360p30@800k",
    HLS_SEGMENT_SECONDS: "1",
    WORKER_CONCURRENCY: "2",
    WEBRTC_ENABLED: "0",
    RTMPS_PORT: "0",
    // Nothing here answers for chat: the widget says so, nothing else depends on it.
    MATRIX_HOMESERVER_URL: "http://127.0.0.1:9",
    APPSERVICE_URL: "http://127.0.0.1:9",
    LIVEHOUSE_DEMO: "0",
    LIVEHOUSE_ROLES_FROM_SOURCE: process.env.LIVEHOUSE_ROLES_FROM_SOURCE,
  };
  /** A role's own disk: its working directories, and MEDIA_DIR pointed there too (to show nothing lands in it). */
  const own = (h: Host): Record<string, string> => ({
    SCRATCH_DIR: path.join(h.dir, "scratch"),
    MEDIA_DIR: path.join(h.dir, "media-unused"),
    CAPACITY_CACHE: path.join(h.dir, "capacity.json"),
  });
  const log = (label: string) => path.join(opts.logDir, `dist-${label}.log`);
  const envOf = (...parts: Record<string, string | undefined>[]) => Object.assign({}, ...parts) as NodeJS.ProcessEnv;
  const roles: SupervisedRole[] = [];
  const web = host("web");
  roles.push(startRole(WEB, { env: envOf(common, own(web), { WEB_HOST: "127.0.0.1", WEB_PORT: String(webPort) }), label: "dist-web", logFile: log("web"), restart: true }));
  const ingests: DistributedPlatform["ingests"] = [];
  for (const n of [1, 2]) {
    const h = host(`ingest${n}`);
    const [rtmp, internal] = [await freePort(), await freePort()];
    const internalUrl = `http://127.0.0.1:${internal}`;
    const spoolDir = path.join(h.dir, "spool");
    roles.push(
      startRole(INGEST, {
        env: envOf(common, own(h), { RTMP_PORT: String(rtmp), RTMP_BIND: "127.0.0.1", INGEST_INTERNAL_PORT: String(internal), INGEST_INTERNAL_BIND: "127.0.0.1", INGEST_INTERNAL_URL: internalUrl, INGEST_SPOOL_DIR: spoolDir }),
        label: `dist-ingest${n}`,
        logFile: log(`ingest${n}`),
        restart: true,
      }),
    );
    ingests.push({ label: `ingest${n}`, rtmpBase: `rtmp://127.0.0.1:${rtmp}`, internalUrl, spoolDir });
  }
  for (const n of [1, 2]) {
    const h = host(`worker${n}`);
    // A worker knows no ingest of its own: it reads each part from the ingest recorded on it.
    roles.push(startRole(WORKER, { env: envOf(common, own(h), { INGEST_INTERNAL_URL: "http://127.0.0.1:9" }), label: `dist-worker${n}`, logFile: log(`worker${n}`), restart: true }));
  }
  await waitForHttp(`${baseUrl}/api/health`);
  for (const i of ingests) await waitForPort("127.0.0.1", Number(new URL(i.rtmpBase).port));

  return {
    baseUrl,
    env: common,
    s3,
    store,
    ingests,
    hosts,
    roles,
    async seed(slug, ladder) {
      const { stdout } = await run(process.execPath, ["--import", "tsx", path.join(root, "test/support/seedChannel.ts"), slug, ladder], { cwd: root, env: envOf(common, { NODE_ENV: "production" }) });
      return JSON.parse(stdout.trim().split("\n").at(-1)!);
    },
    hostFiles() {
      return Object.fromEntries(hosts.map((h) => [h.label, filesUnder(h.dir)]));
    },
    async stop() {
      for (const r of roles) r.stop();
      await new Promise((r) => setTimeout(r, 1500));
      await store.deletePrefix("live").catch(() => {});
      store.close();
      for (const h of hosts) rmSync(h.dir, { recursive: true, force: true });
      await dropDatabase(databaseUrl).catch(() => {});
      const r = new Redis(config.redisUrl);
      const keys = await r.keys(`${common.REDIS_PREFIX}*`);
      for (let i = 0; i < keys.length; i += 500) await r.del(...keys.slice(i, i + 500));
      r.disconnect();
    },
  };
}
