// `npm test`: the whole suite against real services. Creates a database just for
// this run, migrates it, builds and starts the web app on a free port, runs every
// test file with node's test runner, then removes what it made.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import net from "node:net";
import path from "node:path";
import { Redis } from "ioredis";
import { config } from "../lib/config.ts";
import { dropDatabase, ensureDatabase, migrate } from "../lib/migrate.ts";
import { buildWebIfNeeded } from "./build.ts";
import { INGEST, WEB, WORKER, startRole, waitForHttp, waitForPort, type SupervisedRole } from "./roles.ts";
import { SetupError, ensureChromium, ensureFfmpeg, ensurePostgres, ensureRedis, say } from "./services.ts";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";

const root = path.resolve(import.meta.dirname, "..");

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

const runId = `${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
const baseDbUrl = config.databaseUrl;
const testDbUrl = (() => {
  const u = new URL(baseDbUrl);
  u.pathname = `/livehouse_test_${runId}`;
  return u.toString();
})();
const redisPrefix = `lh:test:${runId}:`;
const children: SupervisedRole[] = [];
const mediaDir = mkdtempSync(path.join(os.tmpdir(), "livehouse-media-"));
const logDir = path.join(root, "test-results", "logs");
let exitCode = 1;

async function cleanup() {
  for (const c of children) c.stop();
  await new Promise((r) => setTimeout(r, 1500));
  rmSync(mediaDir, { recursive: true, force: true });
  await dropDatabase(testDbUrl).catch((e) => say(`could not drop the test database: ${e.message}`));
  const r = new Redis(config.redisUrl);
  const keys = await r.keys(`${redisPrefix}*`);
  if (keys.length) await r.del(...keys);
  r.disconnect();
}

try {
  const started = Date.now();
  await ensurePostgres(baseDbUrl);
  await ensureRedis(config.redisUrl);
  const chromium = ensureChromium();
  ensureFfmpeg();
  rmSync(logDir, { recursive: true, force: true });
  await ensureDatabase(testDbUrl);
  await migrate(testDbUrl);
  buildWebIfNeeded();

  const port = await freePort();
  const rtmpPort = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: testDbUrl,
    REDIS_PREFIX: redisPrefix,
    WEB_HOST: "127.0.0.1",
    WEB_PORT: String(port),
    PUBLIC_URL: "",
    TRUST_PROXY: "0",
    CHROMIUM_PATH: chromium,
    LH_TEST_BASE_URL: `http://127.0.0.1:${port}`,
    RTMP_PORT: String(rtmpPort),
    RTMP_BIND: "127.0.0.1",
    INGEST_INTERNAL_URL: `rtmp://127.0.0.1:${rtmpPort}`,
    INGEST_HANDSHAKE_TIMEOUT_SECONDS: "3",
    MEDIA_DIR: mediaDir,
    HLS_SEGMENT_SECONDS: "1",
    WORKER_CONCURRENCY: "2",
    LH_TEST_LOG_DIR: logDir,
  };
  const log = (name: string) => path.join(logDir, `${name}.log`);
  children.push(startRole(WEB, { env, logFile: log("web"), restart: true }));
  children.push(startRole(INGEST, { env, logFile: log("ingest"), restart: true }));
  // Two workers, so a test can kill one and watch the other take over.
  children.push(startRole(WORKER, { env, label: "worker1", logFile: log("worker1"), restart: true }));
  children.push(startRole(WORKER, { env, label: "worker2", logFile: log("worker2"), restart: true }));
  await waitForHttp(`${env.LH_TEST_BASE_URL}/api/health`);
  await waitForPort("127.0.0.1", rtmpPort);
  say(`services ready in ${((Date.now() - started) / 1000).toFixed(1)} s; running tests`);

  const args = process.argv.slice(2);
  const files = args.length ? args : ["test/**/*.test.ts"];
  exitCode = await new Promise<number>((resolve) => {
    const t = spawn(process.execPath, ["--import", "tsx", "--test", "--test-reporter=spec", ...files], {
      cwd: root,
      env,
      stdio: "inherit",
    });
    t.on("exit", (code) => resolve(code ?? 1));
  });
} catch (err) {
  say(err instanceof SetupError ? err.message : `test setup failed: ${(err as Error).stack ?? err}`);
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);
