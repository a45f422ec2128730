// npm run bench:footprint — idle memory of the four roles (web, ingest, worker,
// appservice) as production runs them: compiled JavaScript (dist/*.mjs), each in
// a process of its own and all four in one (scripts/platform.ts,
// LIVEHOUSE_ONE_PROCESS=1). The same stack run from TypeScript through tsx (each
// role with its esbuild service process) is measured in the same run as the baseline. RSS is summed
// over each role's process tree, read from /proc after the stack has started,
// served one page and the health checks, and then sat idle.
import { readFileSync, readdirSync } from "node:fs";
import { benchStack } from "./stack.ts";

const SETTLE_MS = Number(process.env.BENCH_FOOTPRINT_SETTLE_MS ?? 20_000);
const FOUR = ["web", "ingest", "worker1", "appservice"];

function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(d));
    } catch {
      // gone
    }
  }
  return out;
}

/** Resident memory by kind (kB): the process's own (anonymous: heaps, stacks) and mapped files (node's code, shared by every role). */
function residentKinds(pid: number): { anon: number; file: number; pss: number } {
  const field = (text: string, name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? 0);
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    return { anon: field(status, "RssAnon"), file: field(status, "RssFile") + field(status, "RssShmem"), pss: field(rollup, "Pss") };
  } catch {
    return { anon: 0, file: 0, pss: 0 };
  }
}

interface Tree {
  mb: number;
  processes: number;
  anonMb: number;
  fileMb: number;
  pssMb: number;
}

function treeRssMb(pid: number): Tree {
  let kb = 0;
  let processes = 0;
  const kinds = { anon: 0, file: 0, pss: 0 };
  const todo = [pid];
  while (todo.length) {
    const p = todo.pop()!;
    kb += rssKb(p);
    const k = residentKinds(p);
    kinds.anon += k.anon;
    kinds.file += k.file;
    kinds.pss += k.pss;
    processes++;
    todo.push(...childrenOf(p));
  }
  return { mb: kb / 1024, processes, anonMb: kinds.anon / 1024, fileMb: kinds.file / 1024, pssMb: kinds.pss / 1024 };
}

async function measure(fromSource: boolean, oneProcess = false): Promise<Record<string, Tree>> {
  if (fromSource) process.env.LIVEHOUSE_ROLES_FROM_SOURCE = "1";
  else delete process.env.LIVEHOUSE_ROLES_FROM_SOURCE;
  const stack = await benchStack(fromSource ? "footprintsrc" : oneProcess ? "footprintone" : "footprint", { workers: 1, oneProcess });
  try {
    // One page view, so the web role has loaded what a viewer's first request needs.
    await (await fetch(`${stack.baseUrl}/`)).text();
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    const out: Record<string, Tree> = {};
    for (const r of stack.roles) out[r.label] = treeRssMb(r.child.pid!);
    return out;
  } finally {
    await stack.shutdown();
  }
}

function line(name: string, figures: Record<string, Tree>): number {
  const total = figures.platform ? figures.platform.mb : FOUR.reduce((s, k) => s + (figures[k]?.mb ?? 0), 0);
  const parts = Object.entries(figures).map(([k, v]) => `${k} ${v.mb.toFixed(0)}${v.processes > 1 ? ` (${v.processes} processes)` : ""}`);
  console.log(`${name.padEnd(22)} four roles ${total.toFixed(0)} MB — ${parts.join(", ")}`);
  return total;
}

const source = await measure(true);
const compiled = await measure(false);
const one = await measure(false, true);
const baseline = line("from source (tsx)", source);
const result = line("compiled (dist/*.mjs)", compiled);
const oneProcess = line("compiled, one process", one);
// What the RSS is made of: anonymous memory is each role's own; mapped files (node's binary and
// libraries) are counted in full by every process's RSS though the kernel keeps one copy.
const sum = (k: "anonMb" | "fileMb" | "pssMb") => FOUR.reduce((s, r) => s + (compiled[r]?.[k] ?? 0), 0);
console.log(`compiled, by kind         own (anonymous) ${sum("anonMb").toFixed(0)} MB, mapped files ${sum("fileMb").toFixed(0)} MB; proportional set size (shared pages split) ${sum("pssMb").toFixed(0)} MB — ${FOUR.map((r) => `${r} ${compiled[r]?.anonMb.toFixed(0)}+${compiled[r]?.fileMb.toFixed(0)}`).join(", ")}`);
console.log(`compiled vs tsx idle rss ratio: ${(result / baseline).toFixed(2)}`);
console.log(`idle rss mb, one process each: ${result.toFixed(0)}`);
// The figure for a small server: the four roles as LIVEHOUSE_ONE_PROCESS=1 runs them.
console.log(`idle rss mb: ${oneProcess.toFixed(0)}`);
process.exit(0);
