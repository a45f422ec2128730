// Finds the services Livehouse needs, and on a Debian machine where we are root
// installs and starts the missing ones. Anywhere else it stops with a message
// that says what to install.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import pg from "pg";
import { Redis } from "ioredis";
import { portOpen, waitUntil } from "./ports.ts";

export function say(msg: string): void {
  process.stderr.write(`\x1b[1;35m[livehouse]\x1b[0m ${msg}\n`);
}

export class SetupError extends Error {}

/** The last lines of a service's log file, for an error message ("(no log)" when there is none). */
export function logTail(file: string, lines = 40): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

const canInstall = () => existsSync("/etc/debian_version") && process.getuid?.() === 0;
let aptUpdated = false;

function aptInstall(packages: string[]): void {
  if (!canInstall()) throw new SetupError(`Please install: ${packages.join(" ")}`);
  say(`installing ${packages.join(", ")} from Debian's packages…`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  if (!aptUpdated) {
    execFileSync("apt-get", ["update", "-qq"], { stdio: ["ignore", "ignore", "inherit"], env });
    aptUpdated = true;
  }
  execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...packages], {
    stdio: ["ignore", "ignore", "inherit"],
    env,
  });
}

function isLocal(host: string): boolean {
  return ["127.0.0.1", "localhost", "::1", "[::1]"].includes(host);
}

function waitFor(check: () => Promise<boolean>, what: string, seconds = 30): Promise<void> {
  return waitUntil(what, async () => (await check()) || "not yet", { seconds, everyMs: 300, fail: () => new SetupError(`${what} did not come up within ${seconds} s`) });
}

async function canQueryPostgres(url: string): Promise<true | string> {
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await client.end().catch(() => {});
  }
}

export async function ensurePostgres(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const port = Number(url.port || 5432);
  if ((await canQueryPostgres(databaseUrl)) === true) return;
  if (!isLocal(url.hostname) || (await portOpen(url.hostname, port))) {
    const why = await canQueryPostgres(databaseUrl);
    throw new SetupError(`PostgreSQL at ${url.hostname}:${port} refused us (${why}). Check DATABASE_URL.`);
  }
  if (!canInstall()) {
    throw new SetupError(
      `No PostgreSQL at ${url.hostname}:${port}. Install and start PostgreSQL 15+ (Debian: apt-get install postgresql) or set DATABASE_URL.`,
    );
  }
  if (!existsSync("/usr/bin/pg_ctlcluster")) aptInstall(["postgresql"]);
  const version = readdirSync("/etc/postgresql").sort().at(-1);
  if (!version) throw new SetupError("PostgreSQL is installed but has no cluster; run pg_createcluster.");
  say(`starting PostgreSQL ${version}…`);
  spawnSync("pg_ctlcluster", ["--skip-systemctl-redirect", version, "main", "start"], { stdio: "inherit" });
  await waitFor(() => portOpen("127.0.0.1", port), "PostgreSQL");
  // A cluster we just installed only knows peer auth for the postgres user: give it
  // the password from DATABASE_URL (loopback only, the Debian default).
  if (url.username && url.password) {
    const sql = `ALTER USER "${decodeURIComponent(url.username)}" WITH PASSWORD '${decodeURIComponent(url.password).replace(/'/g, "''")}'`;
    spawnSync("su", ["postgres", "-c", `psql -q -c ${JSON.stringify(sql)}`], { stdio: "inherit" });
  }
  const ok = await canQueryPostgres(databaseUrl);
  if (ok !== true) throw new SetupError(`PostgreSQL started but refused DATABASE_URL: ${ok}`);
}

export async function ensureRedis(redisUrl: string): Promise<void> {
  const url = new URL(redisUrl);
  const port = Number(url.port || 6379);
  const ping = async () => {
    const r = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
    try {
      await r.connect();
      return (await r.ping()) === "PONG";
    } catch {
      return false;
    } finally {
      r.disconnect();
    }
  };
  if (await ping()) return;
  if (!isLocal(url.hostname) || !canInstall()) {
    throw new SetupError(`No Redis at ${url.hostname}:${port}. Install and start Redis 6+ (Debian: apt-get install redis-server) or set REDIS_URL.`);
  }
  if (!existsSync("/usr/bin/redis-server")) aptInstall(["redis-server"]);
  say("starting Redis…");
  spawnSync("mkdir", ["-p", "/var/lib/redis", "/var/log/redis"]);
  spawnSync(
    "redis-server",
    ["--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", String(port), "--save", "", "--appendonly", "no",
      "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/livehouse.log"],
    { stdio: "inherit" },
  );
  await waitFor(ping, "Redis");
}

export function ensureChromium(): string {
  const candidates = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"].filter(Boolean) as string[];
  const found = candidates.find((p) => existsSync(p));
  if (found) return found;
  aptInstall(["chromium"]);
  if (!existsSync("/usr/bin/chromium")) throw new SetupError("chromium did not install");
  return "/usr/bin/chromium";
}

export function ensureFfmpeg(): void {
  if (spawnSync("ffmpeg", ["-version"], { stdio: "ignore" }).status === 0) return;
  aptInstall(["ffmpeg"]);
}
