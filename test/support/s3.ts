// The test stack's S3 server (scripts/testS3.ts), as test files reach it.
import { randomBytes } from "node:crypto";
import { s3ServerAdmin } from "../../scripts/s3Server.ts";
import type { S3Settings } from "../../lib/media/s3Store.ts";

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the suite with \`npm test\` (it starts an S3 server for the run).`);
  return v;
}

/** Settings of a bucket on the test server; a fresh bucket name unless one is given (the store creates it). */
export function testS3Settings(opts: { bucket?: string; prefix?: string } = {}): S3Settings {
  return {
    endpoint: required("LH_TEST_S3_ENDPOINT"),
    region: "us-east-1",
    bucket: opts.bucket ?? `lh-test-${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`,
    accessKeyId: required("LH_TEST_S3_ACCESS_KEY_ID"),
    secretAccessKey: required("LH_TEST_S3_SECRET_ACCESS_KEY"),
    forcePathStyle: true,
    prefix: opts.prefix ?? "",
  };
}

/** `radosgw-admin <args>` on the test server (bucket quotas). */
export function testS3Admin(args: string[]): Promise<string> {
  return s3ServerAdmin(required("LH_TEST_S3_DATA_DIR"), args);
}
