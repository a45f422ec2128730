// Builds the Next.js app when its sources changed since the last build.
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { say } from "./services.ts";

const root = path.resolve(import.meta.dirname, "..");
const INPUTS = ["app", "lib", "public", "proxy.ts", "next.config.mjs", "tsconfig.json", "package-lock.json"];
const STAMP = path.join(root, ".next", "livehouse-source-hash");

function walk(p: string, out: string[]): void {
  if (!existsSync(p)) return;
  if (statSync(p).isDirectory()) {
    for (const name of readdirSync(p).sort()) if (name !== "generated" && name !== "node_modules") walk(path.join(p, name), out);
  } else out.push(p);
}

export function sourceHash(): string {
  const files: string[] = [];
  for (const i of INPUTS) walk(path.join(root, i), files);
  const h = createHash("sha256");
  for (const f of files) h.update(path.relative(root, f)).update(readFileSync(f));
  return h.digest("hex");
}

export function buildWebIfNeeded(): void {
  const hash = sourceHash();
  if (existsSync(STAMP) && readFileSync(STAMP, "utf8") === hash && existsSync(path.join(root, ".next", "BUILD_ID"))) return;
  say("building the web app (next build)…");
  const r = spawnSync("next", ["build"], { cwd: root, encoding: "utf8", env: { ...process.env, NODE_ENV: "production" } });
  if (r.status !== 0) {
    process.stderr.write(r.stdout + r.stderr);
    throw new Error("next build failed (output above)");
  }
  writeFileSync(STAMP, hash);
}

if (import.meta.main) {
  buildWebIfNeeded();
  const { compileRolesIfNeeded } = await import("./compileRoles.ts");
  await compileRolesIfNeeded();
}
