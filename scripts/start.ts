// `npm start`: the whole platform on this machine, with a demo account, channel
// and stream key printed at the end.
import { config } from "../lib/config.ts";
import { disconnectDb } from "../lib/db.ts";
import { ensureDatabase, migrate } from "../lib/migrate.ts";
import { disconnectRedis } from "../lib/redis.ts";
import { buildWebIfNeeded } from "./build.ts";
import { ensureDemo } from "./demo.ts";
import { ROLES, startRole, waitForHttp } from "./roles.ts";
import { SetupError, ensureFfmpeg, ensurePostgres, ensureRedis, say } from "./services.ts";

const started = Date.now();
try {
  await ensurePostgres(config.databaseUrl);
  await ensureRedis(config.redisUrl);
  ensureFfmpeg();
  if (await ensureDatabase(config.databaseUrl)) say(`created database ${new URL(config.databaseUrl).pathname.slice(1)}`);
  await migrate(config.databaseUrl, undefined, say);
  buildWebIfNeeded();
  const demo = process.env.LIVEHOUSE_DEMO === "0" ? null : await ensureDemo();
  await disconnectDb();
  await disconnectRedis();

  // A role that dies is started again, as a service manager would.
  const roles = ROLES.map((r) => startRole(r, { env: process.env, restart: true }));
  const stopAll = (code: number) => {
    for (const r of roles) r.stop();
    setTimeout(() => process.exit(code), 1500).unref();
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
      `  Stream key:  ${demo.streamKey}   (new on every start; shown only here)`,
    );
  }
  lines.push("Press Ctrl+C to stop.", "");
  process.stdout.write(lines.join("\n") + "\n");
} catch (err) {
  say(err instanceof SetupError ? err.message : `start failed: ${(err as Error).stack ?? err}`);
  process.exit(1);
}
