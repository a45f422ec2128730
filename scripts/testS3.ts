// The test and bench stack's S3 server (scripts/s3Server.ts): one per run, in
// the run's temporary directory, on a free port with random credentials. Tests
// reach it through LH_TEST_S3_* (the roles keep their own MEDIA_STORE).
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { freePort } from "./ports.ts";
import { startS3Server, type S3Server } from "./s3Server.ts";

export interface TestS3 {
  server: S3Server;
  /** LH_TEST_S3_ENDPOINT, _ACCESS_KEY_ID, _SECRET_ACCESS_KEY, and _DATA_DIR (for radosgw-admin, e.g. quotas). */
  env: Record<string, string>;
  /** Stops the server and removes its data. */
  stop(): Promise<void>;
}

export async function startTestS3(opts: { dataDir: string; logFile: string }): Promise<TestS3> {
  rmSync(opts.dataDir, { recursive: true, force: true });
  const server = await startS3Server({
    dataDir: opts.dataDir,
    port: await freePort(),
    logFile: opts.logFile,
    accessKeyId: `LH${randomBytes(9).toString("hex").toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString("base64url"),
  });
  return {
    server,
    env: {
      LH_TEST_S3_ENDPOINT: server.endpoint,
      LH_TEST_S3_ACCESS_KEY_ID: server.accessKeyId,
      LH_TEST_S3_SECRET_ACCESS_KEY: server.secretAccessKey,
      LH_TEST_S3_DATA_DIR: server.dataDir,
    },
    async stop() {
      await server.stop();
      rmSync(opts.dataDir, { recursive: true, force: true });
    },
  };
}
