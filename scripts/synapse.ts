// Real Matrix Synapse homeservers as plain processes, for `npm start`, the test
// suite and benchmarks: start, readiness, stop, and no processes or mounts left
// behind when the runner exits. The parts around it: the Debian sid root it runs
// in and the instance directory's mounts and files (scripts/synapseRoot.ts), its
// config files (scripts/synapseConfig.ts, pure), and the admin API
// (scripts/synapseAdmin.ts: accounts by shared secret).
//
// Secrets, keys and the database survive restarts; homeserver.yaml is rewritten
// on every start so option changes always take effect.
//
// With sync workers (SYNAPSE_SYNC_WORKERS, scripts/synapseWorkers.ts) an instance
// is a main process, N generic_worker processes and our router on the client
// port (scripts/synapseRouter.ts), started and stopped together.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { freePorts, portOpen, waitUntil } from "./ports.ts";
import { SetupError, logTail, say } from "./services.ts";
import { configText, synapseConfig, synapsePaths, type SynapseProfile } from "./synapseConfig.ts";
import {
  SYNAPSE_ENV,
  copyAppservices,
  detachDataDirNow,
  ensureProc,
  ensureRedisSupport,
  ensureSynapseRoot,
  ensureTlsPair,
  loadSecrets,
  mountDataDir,
  releaseDataDir,
} from "./synapseRoot.ts";
import { startSynapseRouter, type SynapseRouter } from "./synapseRouter.ts";
import { redisConfig, syncWorkerCount, syncWorkerName } from "./synapseWorkers.ts";

const READY_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 10_000;

export interface SynapseOptions {
  /** Instance name: names the mount point inside the root and prefixes log lines. */
  name: string;
  /** Default `localhost:${federationPort}`. Must stay the same for a given dataDir. */
  serverName?: string;
  /** Plain HTTP client API (and admin API) on 127.0.0.1. */
  clientPort: number;
  /** TLS federation + key listener on 127.0.0.1, self-signed certificate. */
  federationPort: number;
  /** Host path for this instance's state; created if missing. */
  dataDir: string;
  /** Host paths of appservice registration YAML files. */
  appserviceRegistrationFiles?: string[];
  /** "test": rate limits out of the way; "default": set for a live-chat crowd (scripts/synapseRateLimits.ts). */
  profile?: SynapseProfile;
  /** Open registration (without email verification). Default false: use registerMatrixUser. */
  enableRegistration?: boolean;
  /** Host path; Synapse's stdout and stderr (its INFO log) are appended here. */
  logFile: string;
  /**
   * PostgreSQL database for Synapse (created with C collation, see scripts/homeserver.ts).
   * Without it Synapse uses SQLite, whose single connection serialises every query:
   * under chat load a message send waits behind the long-polling clients' syncs.
   */
  postgresUrl?: string;
  /** Compute notification counts and send pushes (default false). */
  push?: boolean;
  /** User id globs allowed to publish rooms to the room directory (e.g. "@_lh_bot:*"). */
  roomDirectoryPublishers?: string[];
  /** The sid root to run in; default DEFAULT_SYNAPSE_ROOT (built on demand). */
  root?: string;
  /** Prometheus metrics on 127.0.0.1:<port>/_synapse/metrics (tests count requests with it). */
  metricsPort?: number;
  /**
   * Sync workers: `generic_worker` processes that serve /sync, /events and
   * /initialSync, behind a router of ours (scripts/synapseRouter.ts) that takes
   * clientPort; the main process's client listener moves to a free port. Default:
   * SYNAPSE_SYNC_WORKERS with postgresUrl, else 0 (one process, as without). Needs
   * postgresUrl and Redis.
   */
  syncWorkers?: number;
  /** Redis for the workers' replication; default REDIS_URL, else redis://127.0.0.1:6379. */
  redisUrl?: string;
}

export interface SynapseInstance {
  serverName: string;
  clientUrl: string;
  registrationSharedSecret: string;
  /** The main process. */
  process: ChildProcess;
  /** Only with sync workers. */
  workers?: SynapseWorkers;
  stop(): Promise<void>;
}

export interface SynapseWorkers {
  /** The main process's own client listener. */
  mainUrl: string;
  sync: { name: string; url: string; logFile: string; metricsUrl?: string; process: ChildProcess }[];
  /** Requests the router sent to each upstream ("main", "sync-1", …) since the start. */
  routed: Record<string, number>;
}

// Instances still running, so that a test runner that exits without stopping
// them does not leave Synapse processes and bind mounts behind.
const live = new Set<{ child: ChildProcess; mountPoint: string | null }>();
let exitHookInstalled = false;

export async function startSynapse(opts: SynapseOptions): Promise<SynapseInstance> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(opts.name)) throw new Error(`invalid Synapse instance name ${JSON.stringify(opts.name)}`);
  // The environment's choice applies where workers can run (a SQLite instance, such as a
  // test's second homeserver, stays one process); an explicit option always wins.
  const syncWorkers = opts.syncWorkers ?? (opts.postgresUrl ? syncWorkerCount() : 0);
  if (syncWorkers > 0 && !opts.postgresUrl) throw new SetupError(`synapse ${opts.name}: sync workers need PostgreSQL (SQLite is one process's database)`);
  const root = ensureSynapseRoot(opts.root);
  ensureProc(root);
  if (syncWorkers > 0) ensureRedisSupport(root);

  const dataDir = path.resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const { inner, mountPoint } = mountDataDir(root, dataDir, opts.name);

  // Everything started so far; stop() takes it down in reverse.
  let main: SynapseProcess | null = null;
  const workerProcs: SynapseProcess[] = [];
  let router: SynapseRouter | null = null;
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      await router?.close();
      await Promise.all(workerProcs.map((w) => w.stop()));
      await main?.stop();
      releaseDataDir(mountPoint);
    })());

  try {
    const serverName = opts.serverName ?? `localhost:${opts.federationPort}`;
    const clientUrl = `http://127.0.0.1:${opts.clientPort}`;
    const secrets = loadSecrets(dataDir);
    ensureTlsPair(dataDir);
    const appservices = copyAppservices(dataDir, inner, opts.appserviceRegistrationFiles ?? []);
    // "localhost" resolves to ::1 first. With only 127.0.0.1 listening, every new
    // federation connection to a localhost:PORT server waits out Twisted's 0.3 s
    // happy-eyeballs delay after ::1 is refused; listening on ::1 too avoids that.
    const federationBindAddresses = (await ipv6LoopbackWorks()) ? ["127.0.0.1", "::1"] : ["127.0.0.1"];

    // With workers the router takes clientPort; main, its replication listener and
    // each worker (client, metrics) get loopback ports of their own.
    const ports = await freePorts(syncWorkers ? 2 + syncWorkers * (opts.metricsPort ? 2 : 1) : 0);
    const mainClientPort = syncWorkers ? ports.pop()! : opts.clientPort;
    const workers = Array.from({ length: syncWorkers }, (_, i) => ({
      name: syncWorkerName(i),
      port: ports.pop()!,
      metricsPort: opts.metricsPort ? ports.pop()! : undefined,
      logFile: siblingLog(opts.logFile, syncWorkerName(i)),
    }));
    const replicationPort = syncWorkers ? ports.pop()! : 0;

    const files = synapseConfig({
      serverName,
      clientUrl,
      dir: inner,
      secrets,
      clientPort: mainClientPort,
      federationPort: opts.federationPort,
      federationBindAddresses,
      metricsPort: opts.metricsPort,
      appserviceFiles: appservices,
      profile: opts.profile,
      enableRegistration: opts.enableRegistration,
      postgresUrl: opts.postgresUrl,
      push: opts.push,
      roomDirectoryPublishers: opts.roomDirectoryPublishers,
      workers: syncWorkers
        ? {
            replicationPort,
            redis: redisConfig(opts.redisUrl ?? (process.env.REDIS_URL || "redis://127.0.0.1:6379")),
            // Main and workers are started together from the files written below.
            replicationSecret: randomBytes(32).toString("base64url"),
            sync: workers,
          }
        : undefined,
      env: process.env,
    });
    writeFileSync(path.join(dataDir, "log.yaml"), configText(files.log));
    writeFileSync(path.join(dataDir, "homeserver.yaml"), configText(files.homeserver));
    const workerDir = path.join(dataDir, "workers");
    rmSync(workerDir, { recursive: true, force: true });
    if (syncWorkers) mkdirSync(workerDir);
    for (const w of files.workers) writeFileSync(path.join(workerDir, `${w.name}.yaml`), configText(w.config));

    const started = Date.now();
    const inside = synapsePaths(inner);
    const homeserverYaml = inside.homeserver;
    main = spawnSynapse(`synapse ${opts.name} (${serverName})`, root, "synapse.app.homeserver", [homeserverYaml], opts.logFile, mountPoint);
    await waitReady(`http://127.0.0.1:${mainClientPort}`, main.child, opts.logFile, opts.federationPort);
    if (syncWorkers) {
      for (const w of workers) {
        const configs = [homeserverYaml, inside.worker(w.name)];
        workerProcs.push(spawnSynapse(`synapse ${opts.name} worker ${w.name}`, root, "synapse.app.generic_worker", configs, w.logFile, null));
      }
      await Promise.all(workers.map((w, i) => waitReady(`http://127.0.0.1:${w.port}`, workerProcs[i].child, w.logFile)));
      router = await startSynapseRouter({
        host: "127.0.0.1",
        port: opts.clientPort,
        main: { name: "main", url: `http://127.0.0.1:${mainClientPort}` },
        syncWorkers: workers.map((w) => ({ name: w.name, url: `http://127.0.0.1:${w.port}` })),
      });
    }
    const shape = syncWorkers ? ` (main + ${syncWorkers} sync worker${syncWorkers > 1 ? "s" : ""} behind a router)` : "";
    say(`synapse ${opts.name}: ${serverName} up at ${clientUrl}${shape} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return {
      serverName,
      clientUrl,
      registrationSharedSecret: secrets.registration_shared_secret,
      process: main.child,
      workers: router
        ? {
            mainUrl: `http://127.0.0.1:${mainClientPort}`,
            sync: workers.map((w, i) => ({
              name: w.name,
              url: `http://127.0.0.1:${w.port}`,
              logFile: w.logFile,
              metricsUrl: w.metricsPort ? `http://127.0.0.1:${w.metricsPort}/_synapse/metrics` : undefined,
              process: workerProcs[i].child,
            })),
            routed: router.routed,
          }
        : undefined,
      stop,
    };
  } catch (err) {
    // Whatever started, and the bind mount, must not outlive a failed start.
    await stop();
    throw err;
  }
}

interface SynapseProcess {
  child: ChildProcess;
  stop(): Promise<void>;
}

/** One Synapse process (main or worker) in the root; its output is appended to logFile. */
function spawnSynapse(label: string, root: string, app: string, configFiles: string[], logFile: string, mountPoint: string | null): SynapseProcess {
  mkdirSync(path.dirname(path.resolve(logFile)), { recursive: true });
  const logFd = openSync(logFile, "a");
  writeSync(logFd, `\n=== livehouse: starting ${label} at ${new Date().toISOString()} ===\n`);
  // chroot execs python3, so the child's pid is Synapse's own and signals reach it directly.
  // LH_SYNAPSE_PROFILE=/tmp/x.prof (a path inside the sid root): run the main process under cProfile,
  // written when Synapse stops; how bench:chat's per-message cost was taken apart.
  const profile = process.env.LH_SYNAPSE_PROFILE && app === "synapse.app.homeserver" ? ["-m", "cProfile", "-o", process.env.LH_SYNAPSE_PROFILE] : [];
  const child = spawn("chroot", [root, "python3", ...profile, "-m", app, ...configFiles.flatMap((f) => ["--config-path", f])], {
    stdio: ["ignore", logFd, logFd],
    env: SYNAPSE_ENV,
  });
  closeSync(logFd);
  const entry = { child, mountPoint };
  live.add(entry);
  installExitHook();
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.once("exit", () => live.delete(entry));
  let stopping: Promise<void> | null = null;
  return {
    child,
    stop: () =>
      (stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill("SIGTERM");
        const timer = new Promise<boolean>((r) => setTimeout(() => r(false), STOP_GRACE_MS).unref());
        if (!(await Promise.race([exited.then(() => true), timer]))) {
          say(`${label} ignored SIGTERM for ${STOP_GRACE_MS / 1000} s; killing it`);
          child.kill("SIGKILL");
          await exited;
        }
      })()),
  };
}

function waitReady(clientUrl: string, child: ChildProcess, logFile: string, federationPort?: number): Promise<void> {
  return waitUntil(
    `Synapse at ${clientUrl}`,
    async () => {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`Synapse exited (${child.exitCode ?? child.signalCode}) before answering; ${logFile} ends with:\n${logTail(logFile)}`);
      }
      try {
        const res = await fetch(`${clientUrl}/_matrix/client/versions`, { signal: AbortSignal.timeout(2000) });
        await res.body?.cancel();
        if (res.status !== 200) return `HTTP ${res.status}`;
        // Both listeners open in the same step; check the federation one anyway.
        return federationPort === undefined || (await portOpen("127.0.0.1", federationPort)) || `federation port ${federationPort} closed`;
      } catch (err) {
        return (err as Error).message;
      }
    },
    {
      seconds: READY_TIMEOUT_MS / 1000,
      everyMs: 200,
      fail: (last) => new Error(`Synapse at ${clientUrl} did not answer within ${READY_TIMEOUT_MS / 1000} s (${last}); ${logFile} ends with:\n${logTail(logFile)}`),
    },
  );
}

/** "dir/synapse.log" → "dir/synapse-sync-1.log": each worker logs next to the main process. */
function siblingLog(logFile: string, suffix: string): string {
  const ext = path.extname(logFile);
  return `${logFile.slice(0, logFile.length - ext.length)}-${suffix}${ext || ".log"}`;
}

let ipv6Loopback: Promise<boolean> | undefined;
function ipv6LoopbackWorks(): Promise<boolean> {
  return (ipv6Loopback ??= new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen(0, "::1", () => srv.close(() => resolve(true)));
  }));
}


function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Only synchronous work is possible here: kill outright and detach the mounts lazily.
  process.on("exit", () => {
    for (const { child, mountPoint } of live) {
      child.kill("SIGKILL");
      if (mountPoint) detachDataDirNow(mountPoint);
    }
  });
}
