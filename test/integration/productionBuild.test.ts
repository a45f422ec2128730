// The production build: every role runs compiled JavaScript (dist/*.mjs) with
// no TypeScript loader, and what docker compose and the Dockerfile start is a
// program that the build produces.
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import * as yaml from "js-yaml";
import { COMPILED, ROLES, compiledEntry } from "../../scripts/roles.ts";
import { BASE_URL } from "../support/env.ts";

const root = path.resolve(import.meta.dirname, "../..");
const compiledFiles = new Set(COMPILED.map(compiledEntry));

/** The processes of this test run's stack, by role label, read from /proc. */
function stackProcesses(): { pid: number; label: string; argv: string[] }[] {
  const out: { pid: number; label: string; argv: string[] }[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const env = readFileSync(`/proc/${d}/environ`, "utf8").split("\0");
      if (!env.includes(`LH_TEST_BASE_URL=${BASE_URL}`)) continue;
      const label = env.find((e) => e.startsWith("LIVEHOUSE_ROLE_LABEL="))?.slice("LIVEHOUSE_ROLE_LABEL=".length);
      if (label) out.push({ pid: Number(d), label, argv: readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0").filter(Boolean) });
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

/** The node programs a compose command starts, e.g. ["dist/web.mjs"]. */
function nodePrograms(command: unknown): string[] {
  const words = Array.isArray(command) ? command.map(String) : typeof command === "string" ? command.split(/\s+/) : [];
  const line = words[0] === "sh" && words[1] === "-c" ? words.slice(2).join(" ").split(/\s+/) : words;
  const out: string[] = [];
  line.forEach((w, i) => {
    if (w === "node") out.push(line.slice(i + 1).find((a) => !a.startsWith("-")) ?? "");
  });
  return out;
}

describe("production build", () => {
  it("runs every role of the stack from dist/ with plain node: no tsx, no esbuild process", () => {
    const procs = stackProcesses();
    for (const role of ROLES) {
      const p = procs.find((x) => x.label === role.name || x.label.startsWith(role.name));
      assert.ok(p, `a ${role.name} process of this stack`);
      assert.ok(p.argv.some((a) => a.endsWith(compiledEntry(role))), `${role.name} runs ${compiledEntry(role)}: ${p.argv.join(" ")}`);
      assert.ok(!p.argv.some((a) => /tsx/.test(a)), `${role.name} has no TypeScript loader: ${p.argv.join(" ")}`);
    }
    // tsx keeps an esbuild service process under every role it runs; compiled roles have none.
    const children = readdirSync("/proc").filter((d) => /^\d+$/.test(d)).flatMap((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, "utf8");
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        return procs.some((p) => p.pid === ppid) ? [readFileSync(`/proc/${d}/comm`, "utf8").trim()] : [];
      } catch {
        return [];
      }
    });
    assert.ok(!children.includes("esbuild"), `no esbuild under the roles (children: ${children.join(", ") || "none"})`);
  });

  it("compose starts only programs the build compiles, and every app service that listens has a healthcheck", () => {
    const compose = yaml.load(readFileSync(path.join(root, "docker-compose.yml"), "utf8")) as { services: Record<string, { command?: unknown; image?: string; build?: unknown; healthcheck?: unknown; restart?: string }> };
    const dockerfile = readFileSync(path.join(root, "Dockerfile"), "utf8");
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile);
    assert.ok(cmd, "the Dockerfile has a CMD");
    const imageCmd = JSON.parse(cmd[1]) as string[];
    assert.match(dockerfile, /scripts\/compileRoles\.ts/, "the image build compiles the roles");
    let checked = 0;
    for (const [name, raw] of Object.entries(compose.services)) {
      // YAML merge keys (`<<: *app`), which js-yaml leaves as they are.
      const svc = { ...((raw as Record<string, unknown>)["<<"] as object), ...raw };
      if (svc.image !== "livehouse:latest") continue;
      const programs = nodePrograms(svc.command ?? imageCmd);
      assert.ok(programs.length, `${name} starts a node program`);
      for (const program of programs) {
        assert.ok(compiledFiles.has(program), `${name}: ${program} is one of the compiled programs (${[...compiledFiles].join(", ")})`);
        assert.ok(existsSync(path.join(root, program)), `${name}: ${program} was built`);
        checked++;
      }
      // A worker listens on nothing: a hung one is found by BullMQ's stalled-job check, not by Docker.
      if (name !== "worker") assert.ok(svc.healthcheck || svc.restart === "no", `${name} has a healthcheck (or is a one-shot)`);
    }
    assert.ok(checked >= 6, `compose runs the roles (${checked} programs checked)`);
    assert.ok(!/tsx/.test(JSON.stringify(compose)), "no compose command uses tsx");
    // `--scale worker=N`: nothing in the worker service may exist only once.
    const worker = { ...((compose.services.worker as Record<string, unknown>)["<<"] as object), ...compose.services.worker } as Record<string, unknown>;
    assert.equal(worker.container_name, undefined, "the worker has no fixed container name");
    assert.equal(worker.ports, undefined, "the worker publishes no port");
    // Object storage: an S3 server in the file, and every role handed the store's settings.
    const s3 = compose.services.s3 as { image?: string; profiles?: string[]; healthcheck?: unknown } | undefined;
    assert.ok(s3?.image && s3.healthcheck, "an S3 service with a healthcheck");
    assert.deepEqual(s3!.profiles, ["s3"]);
    const appEnv = ((compose.services.web as Record<string, { environment?: unknown }>)["<<"] as { environment: Record<string, string> }).environment;
    for (const v of ["MEDIA_STORE", "S3_ENDPOINT", "S3_BUCKET", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "SCRATCH_DIR"]) assert.ok(v in appEnv, `the roles get ${v}`);
  });
});
