// The Matrix homeserver Livehouse runs for itself (npm start, npm test, benches):
// a real Synapse with our appservice registered, its data in PostgreSQL.
import { config } from "../lib/config.ts";
import { ensureDatabase } from "../lib/migrate.ts";
import { ensureRegistrationFile } from "../lib/matrix/registration.ts";
import { startSynapse, type SynapseInstance } from "./synapse.ts";

export async function startLivehouseHomeserver(opts: {
  name: string;
  dataDir: string;
  logFile: string;
  clientPort: number;
  federationPort: number;
  profile: "test" | "default";
  postgresUrl: string;
  metricsPort?: number;
}): Promise<SynapseInstance> {
  // Synapse needs a UTF8 database with C collation, so it cannot share ours.
  await ensureDatabase(opts.postgresUrl, { collateC: true });
  // The registration must exist before Synapse reads its app_service_config_files.
  ensureRegistrationFile();
  return startSynapse({
    ...opts,
    serverName: config.matrixServerName,
    appserviceRegistrationFiles: [config.matrixRegistrationFile],
    roomDirectoryPublishers: [`@${config.matrixNamespacePrefix}bot:*`],
  });
}

