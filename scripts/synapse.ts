// Real Matrix Synapse homeservers as plain processes, for `npm start`, the test
// suite and benchmarks. Debian bookworm has no Synapse package, so it runs from a
// Debian sid root (scripts/synapse-root.sh) via chroot; there is no Docker here.
//
// Each instance keeps its state in a host directory (config, secrets, signing
// key, TLS pair, SQLite database, media). When that directory lies outside the
// root it is bind-mounted to ROOT/srv/livehouse/<name> so the chrooted Synapse
// can see it. Secrets, keys and the database survive restarts; homeserver.yaml
// is rewritten on every start so option changes here always take effect.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, realpathSync, rmSync, writeFileSync, writeSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { SetupError, say } from "./services.ts";

export const DEFAULT_SYNAPSE_ROOT = process.env.SYNAPSE_ROOT || "/var/cache/livehouse/synapse-sid";

const ROOT_SCRIPT = path.join(import.meta.dirname, "synapse-root.sh");
const READY_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 10_000;
// A clean environment: the host's (PYTHONPATH, proxies, NODE_* …) means nothing
// inside the root. (Cast because Next's types make NODE_ENV mandatory.)
const SYNAPSE_ENV = {
  PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  LANG: "C.UTF-8",
  HOME: "/root",
  PYTHONUNBUFFERED: "1",
} as unknown as NodeJS.ProcessEnv;

/** Builds the Synapse root once (a no-op when its marker file exists) and returns its path. */
export function ensureSynapseRoot(root = DEFAULT_SYNAPSE_ROOT): string {
  root = path.resolve(root);
  if (existsSync(path.join(root, ".livehouse-ready"))) return root;
  try {
    // stdout carries nothing useful; stderr has the progress and failure lines.
    execFileSync("bash", [ROOT_SCRIPT, root], { stdio: ["ignore", "ignore", "inherit"] });
  } catch (err) {
    const code = (err as { status?: number }).status;
    throw new SetupError(
      `Could not prepare the Synapse root in ${root} (scripts/synapse-root.sh exited with ${code ?? (err as Error).message}). ` +
        "It needs root on Debian and access to Debian's package archive; set SYNAPSE_ROOT to use another directory.",
    );
  }
  if (!existsSync(path.join(root, ".livehouse-ready"))) throw new SetupError(`scripts/synapse-root.sh finished but ${root} is not ready`);
  return root;
}

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
  /** "test": rate limits out of the way; "default": Synapse's, guest registration raised. */
  profile?: "test" | "default";
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
}

export interface SynapseInstance {
  serverName: string;
  clientUrl: string;
  registrationSharedSecret: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

interface Secrets {
  registration_shared_secret: string;
  macaroon_secret_key: string;
  form_secret: string;
}

// Instances still running, so that a test runner that exits without stopping
// them does not leave Synapse processes and bind mounts behind.
const live = new Set<{ child: ChildProcess; mountPoint: string | null }>();
let exitHookInstalled = false;

export async function startSynapse(opts: SynapseOptions): Promise<SynapseInstance> {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(opts.name)) throw new Error(`invalid Synapse instance name ${JSON.stringify(opts.name)}`);
  const root = ensureSynapseRoot(opts.root);
  ensureProc(root);

  const dataDir = path.resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const { inner, mountPoint } = mountDataDir(root, dataDir, opts.name);

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

    const config = {
      server_name: serverName,
      public_baseurl: `${clientUrl}/`,
      listeners: [
        {
          port: opts.clientPort,
          bind_addresses: ["127.0.0.1"],
          type: "http",
          tls: false,
          x_forwarded: false,
          // "client" also serves the admin API and the media repository.
          resources: [{ names: ["client"], compress: false }],
        },
        {
          port: opts.federationPort,
          bind_addresses: federationBindAddresses,
          type: "http",
          tls: true,
          // Other servers need /_matrix/federation and /_matrix/key. "federation"
          // serves both in 1.160 (plus federation media and openid); "keys" is named
          // as well so the key endpoint does not depend on that bundling.
          resources: [{ names: ["federation", "keys"], compress: false }],
        },
      ],
      tls_certificate_path: `${inner}/tls/federation.crt`,
      tls_private_key_path: `${inner}/tls/federation.key`,
      database: opts.postgresUrl ? postgresDatabase(opts.postgresUrl) : { name: "sqlite3", args: { database: `${inner}/homeserver.db` } },
      media_store_path: `${inner}/media`,
      max_upload_size: "10M",
      // Synapse creates the key on its first start (its default generate-missing-and-run mode).
      signing_key_path: `${inner}/signing.key`,
      ...secrets,
      report_stats: false,
      enable_registration: opts.enableRegistration ?? false,
      // Synapse refuses open registration without a verification step unless told.
      enable_registration_without_verification: opts.enableRegistration ?? false,
      allow_guest_access: true,
      url_preview_enabled: false,
      presence: { enabled: false },
      // Notification counts and push for every member of every message are the main
      // per-message cost in a room full of guests (see bench:chat); a stream chat
      // server can do without them. Off unless asked for.
      push: { enabled: opts.push ?? false },
      trusted_key_servers: [],
      suppress_key_server_warning: true,
      federation_verify_certificates: false,
      // Outbound requests (federation, identity servers, push) are refused for
      // addresses in ip_range_blacklist, whose default covers 127.0.0.0/8 and ::1;
      // an ip_range_whitelist entry wins over it. If any address a name resolves to
      // is blocked, Synapse drops them all, so "localhost" (::1 and 127.0.0.1) needs
      // both allowed. Federation uses this pair unless the legacy
      // federation_ip_range_blacklist is set, so that must stay unset.
      ip_range_whitelist: ["127.0.0.0/8", "::1/128"],
      app_service_config_files: appservices,
      // Only the listed users (our appservice's bot) may list rooms in the public
      // directory; Synapse's default refuses everyone who is not a server admin.
      room_list_publication_rules: [...(opts.roomDirectoryPublishers ?? []).map((user_id) => ({ user_id, action: "allow" })), { action: "deny" }],
      ...rateLimits(opts.profile ?? "default"),
    };
    // JSON is valid YAML, so no YAML writer is needed.
    writeFileSync(path.join(dataDir, "log.yaml"), JSON.stringify(LOG_CONFIG, null, 2) + "\n");
    writeFileSync(path.join(dataDir, "homeserver.yaml"), JSON.stringify({ ...config, log_config: `${inner}/log.yaml` }, null, 2) + "\n");

    mkdirSync(path.dirname(path.resolve(opts.logFile)), { recursive: true });
    const logFd = openSync(opts.logFile, "a");
    writeSync(logFd, `\n=== livehouse: starting synapse ${opts.name} (${serverName}) at ${new Date().toISOString()} ===\n`);
    const started = Date.now();
    // chroot execs python3, so the child's pid is Synapse's own and signals reach it directly.
    const child = spawn("chroot", [root, "python3", "-m", "synapse.app.homeserver", "--config-path", `${inner}/homeserver.yaml`], {
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
    const stop = () =>
      (stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill("SIGTERM");
          const timer = new Promise<boolean>((r) => setTimeout(() => r(false), STOP_GRACE_MS).unref());
          const done = await Promise.race([exited.then(() => true), timer]);
          if (!done) {
            say(`synapse ${opts.name} ignored SIGTERM for ${STOP_GRACE_MS / 1000} s; killing it`);
            child.kill("SIGKILL");
            await exited;
          }
        }
        if (mountPoint) unmount(mountPoint);
      })());

    try {
      await waitReady(clientUrl, opts.federationPort, child, opts.logFile);
    } catch (err) {
      await stop();
      throw err;
    }
    say(`synapse ${opts.name}: ${serverName} up at ${clientUrl} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return { serverName, clientUrl, registrationSharedSecret: secrets.registration_shared_secret, process: child, stop };
  } catch (err) {
    // Nothing running yet (or already stopped): do not leave the bind mount behind.
    if (mountPoint && isMountPoint(mountPoint)) unmount(mountPoint);
    throw err;
  }
}

/** Creates a user with the shared-secret admin API (no registration flow, no rate limit). */
export async function registerMatrixUser(
  instance: SynapseInstance,
  localpart: string,
  password: string,
  admin = false,
): Promise<{ userId: string; accessToken: string; deviceId: string }> {
  const url = `${instance.clientUrl}/_synapse/admin/v1/register`;
  const nonceRes = await fetch(url);
  if (!nonceRes.ok) throw new Error(`GET ${url}: HTTP ${nonceRes.status} ${await nonceRes.text()}`);
  const { nonce } = (await nonceRes.json()) as { nonce: string };
  const mac = createHmac("sha1", instance.registrationSharedSecret)
    .update(`${nonce}\0${localpart}\0${password}\0${admin ? "admin" : "notadmin"}`)
    .digest("hex");
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ nonce, username: localpart, password, admin, mac }),
  });
  if (!res.ok) throw new Error(`registering ${localpart} on ${instance.serverName}: HTTP ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { user_id: string; access_token: string; device_id: string };
  return { userId: body.user_id, accessToken: body.access_token, deviceId: body.device_id };
}

function rateLimits(profile: "test" | "default"): Record<string, unknown> {
  if (profile === "default") {
    // A stream page going live brings a burst of guest viewers, often through one
    // proxy address; Synapse's default (3, then one per 6 s per IP) would turn most away.
    return { rc_registration: { per_second: 1, burst_count: 30 } };
  }
  // Tests register dozens of guests and send tens of messages a second from one
  // address; every limiter is set far beyond that.
  const open = { per_second: 10_000, burst_count: 100_000 };
  return {
    rc_message: open,
    rc_registration: open,
    rc_registration_token_validity: open,
    rc_login: { address: open, account: open, failed_attempts: open },
    rc_joins: { local: open, remote: open },
    rc_joins_per_room: open,
    rc_invites: { per_room: open, per_user: open, per_issuer: open },
    rc_third_party_invite: open,
    rc_3pid_validation: open,
    rc_admin_redaction: open,
    rc_room_creation: open,
    rc_media_create: open,
    rc_key_requests: open,
    rc_presence: { per_user: open },
    rc_delayed_event_mgmt: open,
    rc_reports: open,
    rc_user_directory: open,
    rc_federation: { window_size: 1000, sleep_limit: 100_000, sleep_delay: 500, reject_limit: 1_000_000, concurrent: 1000 },
    federation_rr_transactions_per_room_per_second: 10_000,
  };
}

/** Synapse (Python, psutil, Twisted) reads /proc; the mount is left in place for later runs. */
function ensureProc(root: string): void {
  const proc = path.join(root, "proc");
  if (isMountPoint(proc)) return;
  mkdirSync(proc, { recursive: true });
  try {
    execFileSync("mount", ["-t", "proc", "proc", proc], { stdio: ["ignore", "ignore", "pipe"] });
  } catch (err) {
    throw new SetupError(`could not mount proc in ${proc} (running as root?): ${stderrOf(err)}`);
  }
}

/** Where Synapse sees the data directory, bind-mounting it into the root when it lies outside. */
function mountDataDir(root: string, dataDir: string, name: string): { inner: string; mountPoint: string | null } {
  const realRoot = realpathSync(root);
  const realData = realpathSync(dataDir);
  const rel = path.relative(realRoot, realData);
  if (rel && !rel.startsWith("..") && !path.isAbsolute(rel)) return { inner: `/${rel.split(path.sep).join("/")}`, mountPoint: null };

  const mountPoint = path.join(realRoot, "srv", "livehouse", name);
  mkdirSync(mountPoint, { recursive: true });
  if (isMountPoint(mountPoint)) {
    // Left by a run that died without stopping; names are unique among live instances.
    say(`synapse ${name}: removing a stale mount at ${mountPoint}`);
    unmount(mountPoint);
  }
  try {
    execFileSync("mount", ["--bind", realData, mountPoint], { stdio: ["ignore", "ignore", "pipe"] });
  } catch (err) {
    throw new SetupError(`could not bind-mount ${realData} at ${mountPoint}: ${stderrOf(err)}`);
  }
  return { inner: `/srv/livehouse/${name}`, mountPoint };
}

function isMountPoint(dir: string): boolean {
  try {
    execFileSync("mountpoint", ["-q", dir], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function unmount(dir: string): void {
  // A just-killed process can hold files for a moment; a lazy unmount detaches now
  // and finishes when the last file closes.
  try {
    execFileSync("umount", [dir], { stdio: ["ignore", "ignore", "pipe"] });
  } catch {
    try {
      execFileSync("umount", ["-l", dir], { stdio: ["ignore", "ignore", "pipe"] });
    } catch (err) {
      say(`could not unmount ${dir}: ${stderrOf(err)}`);
    }
  }
}

function loadSecrets(dataDir: string): Secrets {
  const file = path.join(dataDir, "secrets.json");
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as Secrets;
  const secret = () => randomBytes(32).toString("base64url");
  const secrets: Secrets = { registration_shared_secret: secret(), macaroon_secret_key: secret(), form_secret: secret() };
  writeFileSync(file, JSON.stringify(secrets, null, 2) + "\n", { mode: 0o600 });
  return secrets;
}

/** Self-signed pair for the federation listener; peers are told not to verify it. */
function ensureTlsPair(dataDir: string): void {
  const dir = path.join(dataDir, "tls");
  const [crt, key] = [path.join(dir, "federation.crt"), path.join(dir, "federation.key")];
  if (existsSync(crt) && existsSync(key)) return;
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650", "-subj", "/CN=localhost",
        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", crt],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === "ENOENT";
    throw new SetupError(missing ? "openssl is needed for Synapse's federation certificate (Debian: apt-get install openssl)" : `openssl failed: ${stderrOf(err)}`);
  }
}

/** Copies the registrations into the instance dir (the chroot cannot see host paths). */
function copyAppservices(dataDir: string, inner: string, files: string[]): string[] {
  const dir = path.join(dataDir, "appservices");
  // Start clean so a registration dropped by the caller is dropped by Synapse too.
  rmSync(dir, { recursive: true, force: true });
  if (files.length === 0) return [];
  mkdirSync(dir, { recursive: true });
  return files.map((file, i) => {
    const name = `${i}-${path.basename(file)}`;
    copyFileSync(file, path.join(dir, name));
    return `${inner}/appservices/${name}`;
  });
}

async function waitReady(clientUrl: string, federationPort: number, child: ChildProcess, logFile: string): Promise<void> {
  const until = Date.now() + READY_TIMEOUT_MS;
  let last = "no answer yet";
  while (Date.now() < until) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`Synapse exited (${child.exitCode ?? child.signalCode}) before answering; ${logFile} ends with:\n${tail(logFile)}`);
    }
    try {
      const res = await fetch(`${clientUrl}/_matrix/client/versions`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) {
        // Both listeners open in the same step; check the TLS one anyway.
        if (await portOpen(federationPort)) return;
        last = `federation port ${federationPort} closed`;
      } else last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`Synapse at ${clientUrl} did not answer within ${READY_TIMEOUT_MS / 1000} s (${last}); ${logFile} ends with:\n${tail(logFile)}`);
}

function postgresDatabase(url: string) {
  const u = new URL(url);
  return {
    name: "psycopg2",
    args: {
      user: decodeURIComponent(u.username || "postgres"),
      ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
      dbname: u.pathname.slice(1),
      host: u.hostname,
      port: Number(u.port || 5432),
      cp_min: 5,
      cp_max: 10,
    },
  };
}

// Synapse's INFO log, but without the access log: one line per request costs
// real CPU under chat load (50 long-polling clients answer ~1000 syncs a second).
const LOG_CONFIG = {
  version: 1,
  formatters: { precise: { format: "%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(request)s - %(message)s" } },
  filters: { context: { "()": "synapse.logging.context.LoggingContextFilter", request: "" } },
  handlers: { console: { class: "logging.StreamHandler", formatter: "precise", filters: ["context"] } },
  loggers: { "synapse.access": { level: "WARNING" }, "synapse.storage.SQL": { level: "WARNING" } },
  root: { level: "INFO", handlers: ["console"] },
  disable_existing_loggers: false,
};

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port }, () => (s.destroy(), resolve(true)));
    s.on("error", () => resolve(false));
  });
}

let ipv6Loopback: Promise<boolean> | undefined;
function ipv6LoopbackWorks(): Promise<boolean> {
  return (ipv6Loopback ??= new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen(0, "::1", () => srv.close(() => resolve(true)));
  }));
}

function tail(file: string, lines = 40): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

function stderrOf(err: unknown): string {
  const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
  return stderr || (err as Error).message;
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Only synchronous work is possible here: kill outright and detach the mounts lazily.
  process.on("exit", () => {
    for (const { child, mountPoint } of live) {
      child.kill("SIGKILL");
      if (mountPoint) {
        try {
          execFileSync("umount", ["-l", mountPoint], { stdio: "ignore" });
        } catch {
          // Already gone.
        }
      }
    }
  });
}
