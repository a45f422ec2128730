// Starts Livehouse's running roles as child processes, restarts one that dies
// (as systemd or Docker would), and prefixes or files their output.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");

export interface Role {
  name: string;
  entry: string; // relative to the repository root
}

export const WEB: Role = { name: "web", entry: "app/server.ts" };
export const INGEST: Role = { name: "ingest", entry: "ingest/main.ts" };
export const WORKER: Role = { name: "worker", entry: "workers/main.ts" };
export const APPSERVICE: Role = { name: "appservice", entry: "appservice/main.ts" };
export const EDGE: Role = { name: "edge", entry: "edge/main.ts" };
export const ROLES: Role[] = [WEB, INGEST, WORKER, APPSERVICE, EDGE];

export interface SupervisedRole {
  role: Role;
  label: string;
  child: ChildProcess;
  restarts: number;
  stop(): void;
}

export interface RoleOptions {
  env: NodeJS.ProcessEnv;
  label?: string;
  /** Write output to this file instead of the terminal. */
  logFile?: string;
  /** Start it again when it exits on its own. */
  restart?: boolean;
  onExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
}

export function startRole(role: Role, opts: RoleOptions): SupervisedRole {
  const label = opts.label ?? role.name;
  let stopping = false;
  const sink = opts.logFile ? (mkdirSync(path.dirname(opts.logFile), { recursive: true }), createWriteStream(opts.logFile, { flags: "a" })) : null;
  const launch = (): ChildProcess => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(root, role.entry)], {
      cwd: root,
      env: { ...opts.env, NODE_ENV: opts.env.NODE_ENV ?? "production", LIVEHOUSE_ROLE_LABEL: label },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const prefix = `${label.padEnd(10)}| `;
    for (const stream of [child.stdout!, child.stderr!]) {
      let buf = "";
      stream.on("data", (chunk: Buffer) => {
        buf += chunk.toString();
        const lines = buf.split("\n");
        buf = lines.pop()!;
        for (const l of lines) (sink ?? process.stdout).write(prefix + l + "\n");
      });
    }
    child.on("exit", (code, signal) => {
      opts.onExit?.(code, signal);
      if (!stopping && opts.restart) {
        (sink ?? process.stdout).write(`${prefix}exited (${signal ?? code}); restarting in 1 s\n`);
        setTimeout(() => {
          if (!stopping) {
            handle.restarts++;
            handle.child = launch();
          }
        }, 1000);
      }
    });
    return child;
  };
  const handle: SupervisedRole = {
    role,
    label,
    child: launch(),
    restarts: 0,
    stop() {
      stopping = true;
      handle.child.kill("SIGTERM");
    },
  };
  return handle;
}

/** Runs a one-shot script of the repository (e.g. the capacity check) with the roles' environment. */
export function runOnce(entry: string, env: NodeJS.ProcessEnv, logFile?: string): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(root, entry)], {
      cwd: root,
      env: { ...env, NODE_ENV: env.NODE_ENV ?? "production" },
      stdio: ["ignore", logFile ? "pipe" : "inherit", logFile ? "pipe" : "inherit"],
    });
    if (logFile) {
      mkdirSync(path.dirname(logFile), { recursive: true });
      const sink = createWriteStream(logFile, { flags: "a" });
      child.stdout!.pipe(sink);
      child.stderr!.pipe(sink);
    }
    child.on("exit", (code) => resolve(code));
  });
}

export async function waitForHttp(url: string, seconds = 60): Promise<void> {
  const until = Date.now() + seconds * 1000;
  let last = "";
  while (Date.now() < until) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer within ${seconds} s (${last})`);
}

export async function waitForPort(host: string, port: number, seconds = 30): Promise<void> {
  const net = await import("node:net");
  const until = Date.now() + seconds * 1000;
  while (Date.now() < until) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host, port }, () => (s.destroy(), resolve(true)));
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${host}:${port} did not open within ${seconds} s`);
}
