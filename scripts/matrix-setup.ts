// docker compose's one-shot `matrix-setup`: writes the appservice registration
// and a production homeserver.yaml for the Synapse container into the shared
// /data volume, and creates Synapse's database (UTF8, C collation). Secrets are
// generated once and kept; the config is rewritten on every run so that
// changes to the environment take effect.
import { randomBytes } from "node:crypto";
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { config } from "../lib/config.ts";
import { ensureRegistrationFile } from "../lib/matrix/registration.ts";
import { ensureDatabase } from "../lib/migrate.ts";

const dataDir = process.env.SYNAPSE_DATA_DIR || "/data";
const synapseDbUrl = process.env.SYNAPSE_DATABASE_URL;
if (!synapseDbUrl) throw new Error("SYNAPSE_DATABASE_URL is required");
mkdirSync(dataDir, { recursive: true });

const secretsFile = path.join(dataDir, "secrets.json");
const secret = () => randomBytes(32).toString("base64url");
const secrets = existsSync(secretsFile)
  ? JSON.parse(readFileSync(secretsFile, "utf8"))
  : { registration_shared_secret: secret(), macaroon_secret_key: secret(), form_secret: secret() };
writeFileSync(secretsFile, JSON.stringify(secrets, null, 2), { mode: 0o600 });

ensureRegistrationFile(path.join(dataDir, "livehouse-appservice.yaml"));
await ensureDatabase(synapseDbUrl, { collateC: true });

const db = new URL(synapseDbUrl);
const homeserver = {
  server_name: config.matrixServerName,
  public_baseurl: config.matrixPublicUrl || config.matrixHomeserverUrl,
  listeners: [{ port: 8008, bind_addresses: ["0.0.0.0"], type: "http", tls: false, x_forwarded: true, resources: [{ names: ["client", "federation"], compress: false }] }],
  database: {
    name: "psycopg2",
    args: { user: decodeURIComponent(db.username), password: decodeURIComponent(db.password), dbname: db.pathname.slice(1), host: db.hostname, port: Number(db.port || 5432), cp_min: 5, cp_max: 10 },
  },
  media_store_path: "/data/media_store",
  signing_key_path: "/data/signing.key",
  ...secrets,
  report_stats: false,
  enable_registration: false,
  allow_guest_access: true,
  url_preview_enabled: false,
  presence: { enabled: false },
  // See scripts/synapseConfig.ts: per-member notification work dominates in big guest rooms.
  push: { enabled: process.env.SYNAPSE_PUSH === "1" },
  max_upload_size: "10M",
  app_service_config_files: ["/data/livehouse-appservice.yaml"],
  room_list_publication_rules: [{ user_id: `@${config.matrixNamespacePrefix}bot:*`, action: "allow" }, { action: "deny" }],
};
// JSON is valid YAML.
writeFileSync(path.join(dataDir, "homeserver.yaml"), JSON.stringify(homeserver, null, 2) + "\n");
// The Synapse image runs as uid 991; our image's roles run as node (uid/gid 1000)
// and need only the registration, read through its group.
if (process.getuid?.() === 0) {
  mkdirSync(path.join(dataDir, "media_store"), { recursive: true });
  for (const p of [dataDir, path.join(dataDir, "media_store"), path.join(dataDir, "homeserver.yaml"), secretsFile]) chownSync(p, 991, 991);
  const reg = path.join(dataDir, "livehouse-appservice.yaml");
  chownSync(reg, 991, 1000);
  chmodSync(reg, 0o640);
  chmodSync(dataDir, 0o751);
}
console.log(`wrote ${dataDir}/homeserver.yaml and the appservice registration for ${config.matrixServerName}`);
process.exit(0);
