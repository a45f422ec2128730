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
/** web, ingest, worker and appservice in one process (scripts/platform.ts), for a small server. */
export const PLATFORM: Role = { name: "platform", entry: "scripts/platform.ts" };
/** One-shot programs run with the roles' environment. */
export const CAPACITY_CHECK: Role = { name: "capacity-check", entry: "workers/capacityCheckMain.ts" };
// What docker compose runs besides the roles.
export const MIGRATE: Role = { name: "migrate", entry: "scripts/migrate.ts" };
export const MATRIX_SETUP: Role = { name: "matrix-setup", entry: "scripts/matrix-setup.ts" };
export const SYNAPSE_COMPOSE_SETUP: Role = { name: "synapse-compose-setup", entry: "scripts/synapse-compose-setup.ts" };
export const SYNAPSE_ROUTER: Role = { name: "synapse-router", entry: "scripts/synapseRouter.ts" };
/** Everything scripts/compileRoles.ts compiles into dist/. */
export const COMPILED: Role[] = [...ROLES, PLATFORM, CAPACITY_CHECK, MIGRATE, MATRIX_SETUP, SYNAPSE_COMPOSE_SETUP, SYNAPSE_ROUTER];

/** Where scripts/compileRoles.ts puts a role's JavaScript, relative to the repository root. */
export function compiledEntry(role: Role): string {
  return `dist/${role.name}.mjs`;
}

/**
 * The node arguments that run a role: its compiled JavaScript, or with
 * LIVEHOUSE_ROLES_FROM_SOURCE=1 its TypeScript through tsx (for working on a role
 * without compiling after every change).
 */
function roleArgs(role: Role, env: NodeJS.ProcessEnv): string[] {
  if (env.LIVEHOUSE_ROLES_FROM_SOURCE === "1") return ["--import", "tsx", path.join(root, role.entry)];
  // Without --enable-source-maps: loading the maps cost ~120 MB across the roles (bench:footprint).
  // The bundles are not minified, so traces still name real functions; NODE_OPTIONS can add it back.
  return [path.join(root, compiledEntry(role))];
}

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
    const child = spawn(process.execPath, roleArgs(role, opts.env), {
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

/** Runs a one-shot program (e.g. the capacity check) with the roles' environment. */
export function runOnce(program: Role, env: NodeJS.ProcessEnv, logFile?: string): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, roleArgs(program, env), {
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
