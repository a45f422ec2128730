// A Synapse of a test's own, beside the stack's: a temporary data directory,
// optionally its own PostgreSQL database, free loopback ports, and everything
// removed again when the test is done.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { config } from "../../lib/config.ts";
import { dropDatabase, ensureDatabase } from "../../lib/migrate.ts";
import { freePort } from "../../scripts/ports.ts";
import { startSynapse, type SynapseInstance, type SynapseOptions } from "../../scripts/synapse.ts";

export interface OwnHomeserver {
  hs: SynapseInstance;
  stop(): Promise<void>;
}

/** `name` names the instance, its log file (synapse-<name>.log) and its database. */
export async function startOwnHomeserver(name: string, opts: Partial<Pick<SynapseOptions, "profile" | "syncWorkers" | "metricsPort">> & { postgres?: boolean } = {}): Promise<OwnHomeserver> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `livehouse-${name}-hs-`));
  let dbUrl: string | undefined;
  if (opts.postgres) {
    const db = new URL(config.databaseUrl);
    db.pathname = `/synapse_${name}_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
    dbUrl = db.toString();
    await ensureDatabase(dbUrl, { collateC: true });
  }
  const hs = await startSynapse({
    name: `${name}-${path.basename(dir)}`,
    clientPort: await freePort(),
    federationPort: await freePort(),
    dataDir: path.join(dir, "data"),
    logFile: path.join(process.env.LH_TEST_LOG_DIR ?? dir, `synapse-${name}.log`),
    profile: opts.profile ?? "test",
    postgresUrl: dbUrl,
    syncWorkers: opts.syncWorkers,
    metricsPort: opts.metricsPort,
  });
  return {
    hs,
    async stop() {
      await hs.stop();
      if (dbUrl) await dropDatabase(dbUrl);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
