// A real S3-compatible server as plain processes, for the tests and benchmarks
// (and MEDIA_STORE=s3 on one machine): Ceph's radosgw on a one-monitor, one-OSD
// RADOS "cluster", from a Debian sid root (scripts/ceph-root.sh) via chroot. No
// S3 server that works here is packaged for Debian stable; what was tried and
// why this one is in ../ENVIRONMENT.md's notes and the README (Object storage).
//
// Every daemon and admin command runs in a mount namespace of its own (unshare)
// in which proc, sys, dev and the instance's data directory are mounted into the
// shared root: several instances (parallel test runs) use one root at once, and
// the mounts vanish with the process, so nothing is left to unmount, even after
// a crash. The data directory (monitor store, the OSD's sparse BlueStore file,
// config) survives a stop: starting on it again is a restart.
import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, realpathSync, rmSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";
import { freePort, portOpen, waitUntil } from "./ports.ts";
import { SetupError, logTail, say } from "./services.ts";

export const DEFAULT_S3_SERVER_ROOT = process.env.S3_SERVER_ROOT || "/var/cache/livehouse/ceph-sid";

const ROOT_SCRIPT = path.join(import.meta.dirname, "ceph-root.sh");
/** Where each process sees its instance's data directory inside the root. */
const INNER = "/srv/livehouse-s3";
const READY_TIMEOUT_S = 120;
const COMMAND_TIMEOUT_MS = 120_000;
// radosgw can hang on shutdown; the OSD and monitor flush first.
const STOP_GRACE_MS = { rgw: 4000, osd: 10_000, mon: 10_000 } as const;
const REGION = "us-east-1";
const USER = "livehouse";
// The host's environment means nothing inside the root.
const ROOT_ENV = { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C.UTF-8", HOME: "/root" } as unknown as NodeJS.ProcessEnv;
// Runs as `sh -c` under unshare: private mounts, then chroot into the root.
const ENTER_ROOT = [
  "set -e",
  'r=$1; d=$2; shift 2',
  'mount -t proc proc "$r/proc"',
  'mount -t sysfs sysfs "$r/sys"',
  'mount --rbind /dev "$r/dev"',
  `mount --bind "$d" "$r${INNER}"`,
  'exec chroot "$r" "$@"',
].join("\n");

/** Builds the Ceph root once (a no-op when its marker file exists) and returns its path. */
export function ensureS3Root(root = DEFAULT_S3_SERVER_ROOT): string {
  root = path.resolve(root);
  if (!existsSync(path.join(root, ".livehouse-ready"))) {
    try {
      execFileSync("bash", [ROOT_SCRIPT, root], { stdio: ["ignore", "ignore", "inherit"] });
    } catch (err) {
      const code = (err as { status?: number }).status;
      throw new SetupError(
        `Could not prepare the S3 server root in ${root} (scripts/ceph-root.sh exited with ${code ?? (err as Error).message}). ` +
          "It needs root on Debian and access to Debian's package archive; set S3_SERVER_ROOT to use another directory.",
      );
    }
    if (!existsSync(path.join(root, ".livehouse-ready"))) throw new SetupError(`scripts/ceph-root.sh finished but ${root} is not ready`);
  }
  mkdirSync(path.join(root, INNER.slice(1)), { recursive: true });
  return root;
}

export interface S3ServerOptions {
  /** Host directory of this instance's state (created if missing); starting on it again restarts the same server. */
  dataDir: string;
  /** S3 on http://127.0.0.1:<port>. */
  port: number;
  /** radosgw's log (requests and errors); the monitor and OSD log beside it (<name>-mon.log, <name>-osd.log). */
  logFile: string;
  /** Credentials of the one S3 user (created, or given this key, at every start). */
  accessKeyId: string;
  secretAccessKey: string;
  /** Created when missing, once the server answers. */
  bucket?: string;
  /** Size of the OSD's sparse BlueStore file (only what is written takes disk). Default 20G; first start only. */
  blockSize?: string;
  /** The sid root to run in; default DEFAULT_S3_SERVER_ROOT (built on demand). */
  root?: string;
}

export interface S3Server {
  /** http://127.0.0.1:<port>; path-style, region us-east-1. */
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  dataDir: string;
  /** The daemons' process ids, for measuring them. */
  pids: { mon: number; osd: number; rgw: number };
  /** Runs `radosgw-admin <args>` against this instance (quotas, users) and returns its output. */
  admin(args: string[]): Promise<string>;
  stop(): Promise<void>;
}

interface State {
  fsid: string;
  monPort: number;
  osdUuid: string;
  osdId?: number;
  /** Set once the monitor and OSD are made: later starts are restarts. */
  made?: boolean;
}

// Daemons still running, killed if this process exits without stopping them.
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

export async function startS3Server(opts: S3ServerOptions): Promise<S3Server> {
  const root = ensureS3Root(opts.root);
  mkdirSync(opts.dataDir, { recursive: true });
  const dataDir = realpathSync(opts.dataDir);
  const started = Date.now();
  const stateFile = path.join(dataDir, "state.json");
  const state: State = existsSync(stateFile)
    ? (JSON.parse(readFileSync(stateFile, "utf8")) as State)
    : { fsid: randomUUID(), monPort: await freePort(), osdUuid: randomUUID() };
  const saveState = () => writeFileSync(stateFile, JSON.stringify(state, null, 2) + "\n");
  const restart = state.made === true;
  const run = (args: string[], redact: string[] = []) => runInRoot(root, dataDir, args, redact);
  const conf = `${INNER}/ceph.conf`;

  const daemons: { name: keyof typeof STOP_GRACE_MS; proc: RootProcess }[] = [];
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      // radosgw first (clients gone), then the OSD, the monitor last.
      for (const d of [...daemons].reverse()) await d.proc.stop(STOP_GRACE_MS[d.name]);
    })());

  try {
    // radosgw only logs a taken port, and then neither serves nor exits.
    if (!(await portFree(opts.port))) throw new SetupError(`S3 server: port ${opts.port} on 127.0.0.1 is taken`);
    mkdirSync(path.join(dataDir, "run"), { recursive: true });
    if (restart && !(await portFree(state.monPort))) {
      // The monitor's address is part of the cluster map: move it to a free port.
      state.monPort = await freePort();
      await run(["ceph-mon", "-c", conf, "-i", "a", "--extract-monmap", `${INNER}/monmap`]);
      await run(["monmaptool", "--rm", "a", `${INNER}/monmap`]);
      await run(["monmaptool", "--addv", "a", `[v2:127.0.0.1:${state.monPort}]`, `${INNER}/monmap`]);
      await run(["ceph-mon", "-c", conf, "-i", "a", "--inject-monmap", `${INNER}/monmap`]);
    }
    writeFileSync(path.join(dataDir, "ceph.conf"), cephConf(state, opts.port, opts.blockSize ?? "20G"));
    saveState();

    if (!restart) {
      // What a first start that failed half-way left behind.
      for (const d of ["mon", "osd"]) rmSync(path.join(dataDir, d), { recursive: true, force: true });
      await run(["monmaptool", "--create", "--clobber", "--fsid", state.fsid, "--addv", "a", `[v2:127.0.0.1:${state.monPort}]`, `${INNER}/monmap`]);
      await run(["ceph-mon", "-c", conf, "--mkfs", "-i", "a", "--monmap", `${INNER}/monmap`]);
    }
    const logs = daemonLogs(opts.logFile);
    daemons.push({ name: "mon", proc: spawnInRoot("S3 monitor", root, dataDir, ["ceph-mon", "-c", conf, "-i", "a", "-d"], logs.mon) });
    await waitUntil(
      "the S3 server's monitor",
      async () => {
        const exited = daemons[0].proc.exitedWith(logs.mon);
        if (exited) throw new SetupError(exited);
        return (await portOpen("127.0.0.1", state.monPort)) || "port closed";
      },
      { seconds: 60, everyMs: 200, fail: (last) => new SetupError(`the S3 server's monitor did not listen within 60 s (${last}); ${logs.mon} ends with:\n${logTail(logs.mon)}`) },
    );

    if (!restart) {
      state.osdId = Number((await run(["ceph", "-c", conf, "--connect-timeout", "60", "osd", "new", state.osdUuid])).trim());
      mkdirSync(path.join(dataDir, "osd"), { recursive: true });
      await run(["ceph-osd", "-c", conf, "-i", String(state.osdId), "--mkfs", "--osd-uuid", state.osdUuid]);
      state.made = true;
      saveState();
    }
    daemons.push({ name: "osd", proc: spawnInRoot("S3 OSD", root, dataDir, ["ceph-osd", "-c", conf, "-i", String(state.osdId ?? 0), "-d"], logs.osd) });
    const rgw = spawnInRoot("radosgw", root, dataDir, ["radosgw", "-c", conf, "-n", "client.rgw", "-d"], opts.logFile);
    daemons.push({ name: "rgw", proc: rgw });

    const endpoint = `http://127.0.0.1:${opts.port}`;
    await waitUntil(
      `radosgw at ${endpoint}`,
      async () => {
        for (const d of daemons) {
          const exited = d.proc.exitedWith(d.name === "rgw" ? opts.logFile : logs[d.name]);
          if (exited) throw new SetupError(exited);
        }
        try {
          // Anonymous ListBuckets: 200 once radosgw has its pools and zone.
          const res = await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(3000) });
          await res.body?.cancel();
          return res.ok || `HTTP ${res.status}`;
        } catch (err) {
          return (err as Error).message;
        }
      },
      { seconds: READY_TIMEOUT_S, everyMs: 300, fail: (last) => new SetupError(`radosgw at ${endpoint} did not answer within ${READY_TIMEOUT_S} s (${last}); ${opts.logFile} ends with:\n${logTail(opts.logFile)}`) },
    );
    await ensureUser(run, opts.accessKeyId, opts.secretAccessKey);
    if (opts.bucket) await createBucket(endpoint, opts);
    say(`S3 server (Ceph radosgw) ${restart ? "restarted" : "up"} at ${endpoint} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return {
      endpoint,
      region: REGION,
      accessKeyId: opts.accessKeyId,
      secretAccessKey: opts.secretAccessKey,
      dataDir,
      pids: { mon: daemons[0].proc.child.pid!, osd: daemons[1].proc.child.pid!, rgw: rgw.child.pid! },
      admin: (args) => s3ServerAdmin(dataDir, args, root),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * The settings that matter for a one-OSD cluster on loopback (ENVIRONMENT.md):
 * no cephx (nothing but loopback reaches it) yet the secure mode radosgw insists
 * on, pools of one replica, BlueStore on a sparse file, a small memory target.
 */
export function cephConf(state: Pick<State, "fsid" | "monPort">, rgwPort: number, blockSize: string): string {
  return `[global]
fsid = ${state.fsid}
mon host = [v2:127.0.0.1:${state.monPort}]
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr1 = false
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc secure
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
mon data avail warn = 5
run dir = ${INNER}/run
admin socket = ${INNER}/run/$cluster-$name.asok
log to file = false
log to stderr = true
err to stderr = true

[mon]
mon data = ${INNER}/mon

[osd]
osd data = ${INNER}/osd
osd objectstore = bluestore
bluestore block create = true
bluestore block size = ${blockSize}
osd memory target = 939524096

[client.rgw]
# tcp_nodelay: without it every GET waited ~40 ms (the response's small writes held back by
# Nagle until the client's delayed ACK), as no production S3 server makes its clients wait.
rgw frontends = beast endpoint=127.0.0.1:${rgwPort} tcp_nodelay=1
rgw dns name = localhost
rgw data = ${INNER}/rgw
`;
}

/**
 * Runs `radosgw-admin <args>` against the instance whose data directory this is
 * (it may belong to another process, such as the test stack's): bucket quotas,
 * users. Returns its output.
 */
export function s3ServerAdmin(dataDir: string, args: string[], root = DEFAULT_S3_SERVER_ROOT): Promise<string> {
  return runInRoot(path.resolve(root), realpathSync(dataDir), ["radosgw-admin", "-c", `${INNER}/ceph.conf`, ...args]);
}

function daemonLogs(logFile: string): { mon: string; osd: string } {
  const ext = path.extname(logFile);
  const base = logFile.slice(0, logFile.length - ext.length);
  return { mon: `${base}-mon${ext || ".log"}`, osd: `${base}-osd${ext || ".log"}` };
}

async function ensureUser(run: (args: string[], redact?: string[]) => Promise<string>, accessKeyId: string, secretAccessKey: string): Promise<void> {
  const conf = `${INNER}/ceph.conf`;
  const secret = [accessKeyId, secretAccessKey];
  const exists = await run(["radosgw-admin", "-c", conf, "user", "info", `--uid=${USER}`]).then(
    () => true,
    () => false,
  );
  if (!exists) {
    await run(["radosgw-admin", "-c", conf, "user", "create", `--uid=${USER}`, "--display-name=Livehouse", `--access-key=${accessKeyId}`, `--secret-key=${secretAccessKey}`], secret);
  } else {
    await run(["radosgw-admin", "-c", conf, "key", "create", `--uid=${USER}`, "--key-type=s3", `--access-key=${accessKeyId}`, `--secret-key=${secretAccessKey}`], secret);
  }
}

async function createBucket(endpoint: string, opts: S3ServerOptions): Promise<void> {
  const { S3MediaStore } = await import("../lib/media/s3Store.ts");
  const store = new S3MediaStore({
    endpoint,
    region: REGION,
    bucket: opts.bucket!,
    accessKeyId: opts.accessKeyId,
    secretAccessKey: opts.secretAccessKey,
    forcePathStyle: true,
    prefix: "",
  });
  try {
    await store.ensureBucket();
  } finally {
    store.close();
  }
}

function enterRootArgs(root: string, dataDir: string, args: string[]): string[] {
  return ["--mount", "--propagation", "private", "sh", "-c", ENTER_ROOT, "sh", root, dataDir, ...args];
}

/** Runs a command inside the root; its output, or an error with its stderr (credentials in `redact` masked). */
function runInRoot(root: string, dataDir: string, args: string[], redact: string[] = []): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("unshare", enterRootArgs(root, dataDir, args), { env: ROOT_ENV, timeout: COMMAND_TIMEOUT_MS, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const mask = (s: string) => redact.reduce((t, r) => (r ? t.split(r).join("***") : t), s);
      const shown = mask(args.slice(0, 4).join(" "));
      const why = (err as { killed?: boolean }).killed ? `timed out after ${COMMAND_TIMEOUT_MS / 1000} s` : `exited with ${err.code}`;
      reject(new SetupError(`S3 server: \`${shown} …\` ${why}: ${mask(stderr.trim().split("\n").slice(-15).join("\n"))}`));
    });
  });
}

interface RootProcess {
  child: ChildProcess;
  /** A message when the process has exited (with its log's tail), else null. */
  exitedWith(logFile: string): string | null;
  stop(graceMs: number): Promise<void>;
}

/** A daemon inside the root; unshare, sh and chroot all exec, so the child's pid is the daemon's own. */
function spawnInRoot(label: string, root: string, dataDir: string, args: string[], logFile: string): RootProcess {
  mkdirSync(path.dirname(path.resolve(logFile)), { recursive: true });
  const fd = openSync(logFile, "a");
  writeSync(fd, `\n=== livehouse: starting ${label} at ${new Date().toISOString()} ===\n`);
  const child = spawn("unshare", enterRootArgs(root, dataDir, args), { stdio: ["ignore", fd, fd], env: ROOT_ENV });
  closeSync(fd);
  live.add(child);
  installExitHook();
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.once("exit", () => live.delete(child));
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  return {
    child,
    exitedWith: (log) => (gone() ? `${label} exited (${child.exitCode ?? child.signalCode}); ${log} ends with:\n${logTail(log)}` : null),
    async stop(graceMs) {
      if (gone()) return;
      child.kill("SIGTERM");
      const timer = new Promise<boolean>((r) => setTimeout(() => r(false), graceMs).unref());
      if (!(await Promise.race([exited.then(() => true), timer]))) {
        child.kill("SIGKILL");
        await exited;
      }
    },
  };
}

async function portFree(port: number): Promise<boolean> {
  return !(await portOpen("127.0.0.1", port, 500));
}


function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Only synchronous work is possible here; the mounts go with the processes.
  process.on("exit", () => {
    for (const child of live) child.kill("SIGKILL");
  });
}
