// `npm test`: the whole suite against real services. scripts/stack.ts starts the
// platform on a database of its own; node's test runner runs every test file.
import { spawn } from "node:child_process";
import path from "node:path";
import { SetupError, say } from "./services.ts";
import { root, startStack, type Stack } from "./stack.ts";

let stack: Stack | undefined;
let exitCode = 1;
try {
  const started = Date.now();
  // LH_TEST_ONE_PROCESS=1: the platform as LIVEHOUSE_ONE_PROCESS=1 runs it, for the tests that do
  // not kill a role's process by itself (one process holds all four here).
  const oneProcess = process.env.LH_TEST_ONE_PROCESS === "1";
  stack = await startStack({ name: "test", logDir: process.env.LH_TEST_LOGS || path.join(root, "test-results", "logs"), ...(oneProcess ? { oneProcess, workers: 1 } : {}) });
  say(`services ready in ${((Date.now() - started) / 1000).toFixed(1)} s; running tests`);
  const args = process.argv.slice(2);
  const files = args.length ? args : ["test/**/*.test.ts"];
  const env = stack.env;
  exitCode = await new Promise<number>((resolve) => {
    const t = spawn(process.execPath, ["--import", "tsx", "--test", "--test-reporter=spec", ...files], { cwd: root, env, stdio: "inherit" });
    t.on("exit", (code) => resolve(code ?? 1));
  });
} catch (err) {
  say(err instanceof SetupError ? err.message : `test setup failed: ${(err as Error).stack ?? err}`);
  exitCode = 1;
} finally {
  await stack?.stop();
}
process.exit(exitCode);
