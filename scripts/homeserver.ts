// The Matrix homeserver Livehouse runs for itself (npm start, npm test, benches):
// a real Synapse with our appservice registered, its data in PostgreSQL.
import pg from "pg";
import { config } from "../lib/config.ts";
import { ensureRegistrationFile } from "../lib/matrix/registration.ts";
import { startSynapse, type SynapseInstance } from "./synapse.ts";

/** Synapse requires a UTF8 database with C collation, so it cannot share ours. */
export async function ensureSynapseDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = target.pathname.slice(1);
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`unsupported Synapse database name "${name}"`);
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const exists = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (!exists.rowCount) await client.query(`CREATE DATABASE "${name}" ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`);
  } finally {
    await client.end();
  }
}

export async function dropSynapseDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

export async function startLivehouseHomeserver(opts: {
  name: string;
  dataDir: string;
  logFile: string;
  clientPort: number;
  federationPort: number;
  profile: "test" | "default";
  postgresUrl: string;
}): Promise<SynapseInstance> {
  await ensureSynapseDatabase(opts.postgresUrl);
  // The registration must exist before Synapse reads its app_service_config_files.
  ensureRegistrationFile();
  return startSynapse({
    ...opts,
    serverName: config.matrixServerName,
    appserviceRegistrationFiles: [config.matrixRegistrationFile],
    roomDirectoryPublishers: [`@${config.matrixNamespacePrefix}bot:*`],
  });
}
