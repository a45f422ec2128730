import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/prisma/client.ts";
import { config } from "./config.ts";

export type Db = PrismaClient;

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
