// Compiles each running role into one JavaScript file under dist/, so production
// runs plain `node dist/<role>.mjs`: no TypeScript loader, no esbuild service
// process and no transpile cache in every role's memory. npm packages stay
// external (node_modules ships beside dist/ in the image). dist/ sits one level
// below the repository root, like app/ and lib/, so paths the code resolves from
// its own directory (`..` for the Next app, `../prisma/migrations`) still hold.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";
import { COMPILED, compiledEntry } from "./roles.ts";
import { say } from "./services.ts";

const root = path.resolve(import.meta.dirname, "..");
const INPUTS = ["app", "lib", "ingest", "workers", "appservice", "edge", "scripts", "package-lock.json"];
const DIST = path.join(root, "dist");
const STAMP = path.join(DIST, "livehouse-source-hash");
const SOURCE = /\.(ts|tsx|mts|json|prisma)$/;

function walk(p: string, out: string[]): void {
  if (!existsSync(p)) return;
  if (statSync(p).isDirectory()) {
    for (const name of readdirSync(p).sort()) if (name !== "node_modules") walk(path.join(p, name), out);
  } else if (SOURCE.test(p)) out.push(p);
}

function rolesSourceHash(): string {
  const files: string[] = [];
  for (const i of INPUTS) walk(path.join(root, i), files);
  const h = createHash("sha256");
  for (const f of files) h.update(path.relative(root, f)).update(readFileSync(f));
  return h.digest("hex");
}

export async function compileRoles(): Promise<void> {
  // Chunk names carry a hash: without a clean start, old ones would pile up.
  rmSync(DIST, { recursive: true, force: true });
  mkdirSync(DIST, { recursive: true });
  await build({
    absWorkingDir: root,
    entryPoints: Object.fromEntries(COMPILED.map((r) => [path.basename(compiledEntry(r), ".mjs"), path.join(root, r.entry)])),
    outdir: DIST,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    // Shared code (lib/, the Prisma client) goes into chunks every role imports.
    splitting: true,
    chunkNames: "[name]-[hash]",
    format: "esm",
    platform: "node",
    target: "node22",
    packages: "external",
    sourcemap: "linked",
    logLevel: "warning",
  });
}

/** Compiles the roles when their sources changed since the last compile. */
export async function compileRolesIfNeeded(): Promise<void> {
  const hash = rolesSourceHash();
  if (existsSync(STAMP) && readFileSync(STAMP, "utf8") === hash && COMPILED.every((r) => existsSync(path.join(root, compiledEntry(r))))) return;
  const started = Date.now();
  await compileRoles();
  writeFileSync(STAMP, hash);
  say(`compiled the roles into dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

if (import.meta.main) await compileRolesIfNeeded();
