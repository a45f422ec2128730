// `npm start`: the whole platform on this machine, with a demo account, channel
// and stream key printed at the end.
import { config } from "../lib/config.ts";
import { roomAlias } from "../lib/matrix/ids.ts";
import { disconnectDb } from "../lib/db.ts";
import { ensureDatabase, migrate } from "../lib/migrate.ts";
import { disconnectRedis } from "../lib/redis.ts";
import { buildWebIfNeeded } from "./build.ts";
import { compileRolesIfNeeded } from "./compileRoles.ts";
import { ensureDemo } from "./demo.ts";
import { waitForHttp } from "./ports.ts";
import { CAPACITY_CHECK, EDGE, PLATFORM, ROLES, runOnce, startRole } from "./roles.ts";
import { startLivehouseHomeserver } from "./homeserver.ts";
import { prepareRtmps } from "./rtmps.ts";
import { SetupError, ensureFfmpeg, ensurePostgres, ensureRedis, say } from "./services.ts";
import type { SynapseInstance } from "./synapse.ts";
import { ensureSynapseRoot } from "./synapseRoot.ts";

const TLS_DIR = ".livehouse/tls";
const started = Date.now();
try {
  await ensurePostgres(config.databaseUrl);
  await ensureRedis(config.redisUrl);
  ensureFfmpeg();
  if (await ensureDatabase(config.databaseUrl)) say(`created database ${new URL(config.databaseUrl).pathname.slice(1)}`);
  await migrate(config.databaseUrl, undefined, say);
  buildWebIfNeeded();
  await compileRolesIfNeeded();
  // Our own Synapse, unless MATRIX_HOMESERVER_URL names a homeserver you run.
  let homeserver: SynapseInstance | undefined;
  if (!process.env.MATRIX_HOMESERVER_URL) {
    ensureSynapseRoot();
    const clientPort = Number(process.env.SYNAPSE_CLIENT_PORT || 8008);
    process.env.MATRIX_HOMESERVER_URL = `http://127.0.0.1:${clientPort}`;
    const synapseDb = new URL(config.databaseUrl);
    synapseDb.pathname = `${synapseDb.pathname}_synapse`;
    homeserver = await startLivehouseHomeserver({
      name: "livehouse",
      dataDir: ".livehouse/synapse",
      logFile: ".livehouse/synapse/synapse.log",
      clientPort,
      federationPort: Number(process.env.SYNAPSE_FEDERATION_PORT || 8448),
      profile: "default",
      postgresUrl: synapseDb.toString(),
    });
  }
  const { selfSigned } = await prepareRtmps(TLS_DIR);
  // TRANSCODE_LADDER=auto: measure this machine once (cached) before anything else runs on it.
  await runOnce(CAPACITY_CHECK, process.env);
  const demo = process.env.LIVEHOUSE_DEMO === "0" ? null : await ensureDemo();
  await disconnectDb();
  await disconnectRedis();

  // A role that dies is started again, as a service manager would.
  // LIVEHOUSE_ONE_PROCESS=1: web, ingest, worker and appservice share one process (a small server).
  const roles = (process.env.LIVEHOUSE_ONE_PROCESS === "1" ? [PLATFORM, EDGE] : ROLES).map((r) => startRole(r, { env: process.env, restart: true }));
  const stopAll = (code: number) => {
    for (const r of roles) r.stop();
    setTimeout(() => void (homeserver?.stop() ?? Promise.resolve()).finally(() => process.exit(code)), 1000).unref();
  };
  process.on("SIGINT", () => stopAll(0));
  process.on("SIGTERM", () => stopAll(0));

  const base = config.publicUrl || `http://${config.webHost === "0.0.0.0" ? "127.0.0.1" : config.webHost}:${config.webPort}`;
  await waitForHttp(`${base}/api/health`);
  const host = new URL(base).hostname;
  const lines = [
    "",
    `Livehouse is running (ready in ${((Date.now() - started) / 1000).toFixed(1)} s).`,
    `  Open:        ${base}/`,
    `  Log in:      ${base}/login`,
  ];
  if (demo) {
    lines.push(
      `  Demo login:  ${demo.email} / ${demo.password}`,
      `  Channel:     ${base}/c/${demo.slug}`,
      `  RTMP server: ${config.rtmpPublicUrl || `rtmp://${host}:${config.rtmpPort}/live`}`,
      ...(config.rtmpsPort || config.rtmpsPublicUrl
        ? [`  RTMPS (TLS): ${config.rtmpsPublicUrl || `rtmps://${host}:${config.rtmpsPort}/live`}${selfSigned ? `   (self-signed: ${TLS_DIR}/cert.pem)` : ""}`]
        : []),
      `  Stream key:  ${demo.streamKey}   (new on every start; shown only here)`,
      `  Chat room:   ${roomAlias(demo.slug)}  on ${config.matrixHomeserverUrl} (any Matrix client)`,
    );
  }
  if (config.webrtcEnabled) lines.push(`  Low latency: WebRTC on UDP ${config.webrtcUdpPort}${config.webrtcPublicIp ? `, advertised as ${config.webrtcPublicIp}` : ""} (HLS for viewers it cannot reach)`);
  lines.push(`  Password resets: ${config.smtpUrl ? "by email (SMTP_URL)" : `no SMTP_URL, so the admin makes reset links at ${base}/admin`}`);
  lines.push("Press Ctrl+C to stop.", "");
  process.stdout.write(lines.join("\n") + "\n");
} catch (err) {
  say(err instanceof SetupError ? err.message : `start failed: ${(err as Error).stack ?? err}`);
  process.exit(1);
}
