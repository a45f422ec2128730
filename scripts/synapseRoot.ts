// Where the managed Synapse runs: a Debian sid root (Debian bookworm has no
// Synapse package; scripts/synapse-root.sh builds the root, cached outside the
// repo) entered with chroot, its /proc mount, Synapse's Redis extra for workers,
// and each instance's host directory (config, secrets, signing key, TLS pair,
// SQLite database, media), bind-mounted into the root when it lies outside it.
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { SetupError, say } from "./services.ts";
import type { SynapseSecrets } from "./synapseConfig.ts";

export const DEFAULT_SYNAPSE_ROOT = process.env.SYNAPSE_ROOT || "/var/cache/livehouse/synapse-sid";

const ROOT_SCRIPT = path.join(import.meta.dirname, "synapse-root.sh");
const TXREDISAPI = path.join(import.meta.dirname, "vendor", "txredisapi", "txredisapi.py");

// A clean environment: the host's (PYTHONPATH, proxies, NODE_* …) means nothing
// inside the root. (Cast because Next's types make NODE_ENV mandatory.)
export const SYNAPSE_ENV = {
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

/**
 * Synapse's Redis extra (txredisapi, hiredis), which workers need. Debian has
 * python3-hiredis but no txredisapi, and PyPI is not always reachable, so the
 * module (one file, Apache-2.0) ships in scripts/vendor/txredisapi/ and is put in
 * the root with the metadata Synapse's dependency check reads. Once per root and
 * vendored version (marker .livehouse-redis); needs Debian's archive the first time.
 */
export function ensureRedisSupport(root: string): void {
  const source = readFileSync(TXREDISAPI);
  const version = /^__version__ = version = "([^"]+)"/m.exec(source.toString("utf8"))?.[1] ?? "0";
  const stamp = `txredisapi ${version} ${createHash("sha256").update(source).digest("hex").slice(0, 16)}`;
  const marker = path.join(root, ".livehouse-redis");
  if (existsSync(marker) && readFileSync(marker, "utf8").trim() === stamp) return;
  say(`adding Synapse's Redis support (for workers) to ${root}, once…`);
  const chroot = (args: string[]) => execFileSync("chroot", [root, ...args], { stdio: ["ignore", "ignore", "pipe"], env: { ...SYNAPSE_ENV, DEBIAN_FRONTEND: "noninteractive" } });
  // txredisapi imports six.
  const install = () => chroot(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "python3-hiredis", "python3-six"]);
  try {
    install();
  } catch {
    try {
      // The root's package lists may be older than the archive; sid's Release file
      // also expires when the root was built a while ago.
      chroot(["apt-get", "-o", "Acquire::Check-Valid-Until=false", "update", "-qq"]);
      install();
    } catch (err) {
      throw new SetupError(`could not install python3-hiredis and python3-six into ${root} (needs Debian's package archive): ${stderrOf(err)}`);
    }
  }
  // /usr/lib/python3/dist-packages, where Debian's Synapse expects its modules
  // (it warns about any found elsewhere).
  const site = path.join(root, "usr", "lib", "python3", "dist-packages");
  copyFileSync(TXREDISAPI, path.join(site, "txredisapi.py"));
  const dist = path.join(site, `txredisapi-${version}.dist-info`);
  mkdirSync(dist, { recursive: true });
  writeFileSync(path.join(dist, "METADATA"), `Metadata-Version: 2.1\nName: txredisapi\nVersion: ${version}\nLicense: Apache-2.0\n`);
  writeFileSync(path.join(dist, "top_level.txt"), "txredisapi\n");
  writeFileSync(path.join(dist, "INSTALLER"), "livehouse\n");
  try {
    chroot(["python3", "-c", 'from synapse.util.check_dependencies import check_requirements; check_requirements("redis")']);
  } catch (err) {
    throw new SetupError(`Synapse in ${root} still lacks its Redis dependencies: ${stderrOf(err)}`);
  }
  writeFileSync(marker, stamp + "\n");
}

/** Synapse (Python, psutil, Twisted) reads /proc; the mount is left in place for later runs. */
export function ensureProc(root: string): void {
  const proc = path.join(root, "proc");
  if (isMountPoint(proc)) return;
  mkdirSync(proc, { recursive: true });
  try {
    execFileSync("mount", ["-t", "proc", "proc", proc], { stdio: ["ignore", "ignore", "pipe"] });
  } catch (err) {
    throw new SetupError(`could not mount proc in ${proc} (running as root?): ${stderrOf(err)}`);
  }
}

/**
 * Where Synapse sees the data directory (`inner`), bind-mounting it into the root
 * when it lies outside (`mountPoint`, to be released with releaseDataDir).
 */
export function mountDataDir(root: string, dataDir: string, name: string): { inner: string; mountPoint: string | null } {
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

/** Undoes mountDataDir once the instance's processes have stopped. */
export function releaseDataDir(mountPoint: string | null): void {
  if (mountPoint && isMountPoint(mountPoint)) unmount(mountPoint);
}

/**
 * For a process exit hook, where only synchronous work is possible: detach the
 * mount lazily (it finishes when the last file closes) and say nothing.
 */
export function detachDataDirNow(mountPoint: string): void {
  try {
    execFileSync("umount", ["-l", mountPoint], { stdio: "ignore" });
  } catch {
    // Already gone.
  }
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

/** The instance's secrets, made on its first start and kept (mode 600) in secrets.json. */
export function loadSecrets(dataDir: string): SynapseSecrets {
  const file = path.join(dataDir, "secrets.json");
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as SynapseSecrets;
  const secret = () => randomBytes(32).toString("base64url");
  const secrets: SynapseSecrets = { registration_shared_secret: secret(), macaroon_secret_key: secret(), form_secret: secret() };
  writeFileSync(file, JSON.stringify(secrets, null, 2) + "\n", { mode: 0o600 });
  return secrets;
}

/** Self-signed pair for the federation listener (dataDir/tls); peers are told not to verify it. */
export function ensureTlsPair(dataDir: string): void {
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

/** Copies the registrations into the instance dir (the chroot cannot see host paths); returns them as Synapse sees them. */
export function copyAppservices(dataDir: string, inner: string, files: string[]): string[] {
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

function stderrOf(err: unknown): string {
  const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
  return stderr || (err as Error).message;
}
