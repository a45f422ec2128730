// How a role stops on SIGTERM/SIGINT (a service manager, `docker compose stop`, Ctrl-C).
// Each role registers what it must finish; one handler runs them all and then ends the
// process, so roles that share a process (scripts/platform.ts) all get to finish, and a
// step that hangs cannot keep the process up past the grace period: the process then
// says which role did not finish and exits with 1.
import { logger } from "./log.ts";

const GRACE_MS = 10_000;
const steps: { role: string; run: () => unknown }[] = [];
let stopping = false;

async function stopAll(): Promise<void> {
  if (stopping) return;
  stopping = true;
  const pending = new Set(steps.map((s) => s.role));
  const all = Promise.allSettled(
    steps.map((s) =>
      Promise.resolve()
        .then(s.run)
        .catch((err) => logger(s.role).warn("could not stop cleanly", { error: String(err) }))
        .finally(() => pending.delete(s.role)),
    ),
  );
  const finished = await Promise.race([all.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), GRACE_MS).unref())]);
  if (!finished) logger([...pending].join("+")).error(`did not finish stopping within ${GRACE_MS / 1000} s; exiting anyway`);
  process.exit(finished ? 0 : 1);
}

/** Runs `step` when the process is asked to stop; the process ends when every step has. */
export function onShutdown(role: string, step: () => unknown): void {
  if (steps.length === 0) {
    process.on("SIGTERM", () => void stopAll());
    process.on("SIGINT", () => void stopAll());
  }
  steps.push({ role, run: step });
}
