// `npm run db:migrate`: applies pending SQL migrations to DATABASE_URL (creating the database if needed).
import { config } from "../lib/config.ts";
import { ensureDatabase, migrate } from "../lib/migrate.ts";
import { say } from "./services.ts";

await ensureDatabase(config.databaseUrl);
const { applied, alreadyApplied } = await migrate(config.databaseUrl, undefined, say);
say(`${applied.length} migration(s) applied, ${alreadyApplied.length} already in place`);
