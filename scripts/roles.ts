// Starts Livehouse's running roles as child processes with prefixed output.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");

export interface Role {
  name: string;
  entry: string; // relative to the repository root
}

export const ROLES: Role[] = [
  { name: "web", entry: "app/server.ts" },
  { name: "ingest", entry: "ingest/server.ts" },
  { name: "worker", entry: "workers/main.ts" },
];

export function startRole(role: Role, env: NodeJS.ProcessEnv, quiet = false): ChildProcess {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(root, role.entry)], {
    cwd: root,
    env: { ...env, NODE_ENV: env.NODE_ENV ?? "production" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const prefix = `${role.name.padEnd(6)}| `;
  for (const stream of [child.stdout!, child.stderr!]) {
    let buf = "";
    stream.on("data", (chunk: Buffer) => {
      buf += chunk.toString();
      const lines = buf.split("\n");
      buf = lines.pop()!;
      if (!quiet) for (const l of lines) process.stdout.write(prefix + l + "\n");
    });
  }
  return child;
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
