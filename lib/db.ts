import v8 from "node:v8";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/prisma/client.ts";
import { config } from "./config.ts";

export type Db = PrismaClient;

// Prisma's query compiler is a 3 MB WebAssembly module. By default V8 compiles it with its
// baseline compiler, then again with its optimising one in background threads, and that second
// compile leaves about 30 MB resident in every process that queries. Queries took the same time
// with the baseline code alone (measured beside bench:footprint), so every role keeps to it.
// Set before the first query compiles the module; it concerns WebAssembly only.
v8.setFlagsFromString("--liftoff-only");

// One client per process: Next.js dev reloads modules, so keep it on globalThis.
const globalForDb = globalThis as unknown as { livehouseDb?: PrismaClient };

export function db(): PrismaClient {
  if (!globalForDb.livehouseDb) {
    globalForDb.livehouseDb = new PrismaClient({
      adapter: new PrismaPg({ connectionString: config.databaseUrl }),
    });
  }
  return globalForDb.livehouseDb;
}

export async function disconnectDb(): Promise<void> {
  await globalForDb.livehouseDb?.$disconnect();
  globalForDb.livehouseDb = undefined;
}

/** Postgres unique-violation, as surfaced by Prisma with the pg adapter. */
export function isUniqueViolation(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: string }).code === "P2002";
}
