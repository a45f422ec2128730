// The offline migration runner keeps Prisma's bookkeeping, so `prisma migrate deploy` agrees with it.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import pg from "pg";
import { dropDatabase, ensureDatabase, migrate, readMigrations } from "../../lib/migrate.ts";
import { uniq } from "../support/fixtures.ts";

const migrationsDir = path.resolve(import.meta.dirname, "../../prisma/migrations");

describe("migrations", () => {
  it("apply once to a fresh database, are idempotent, and are recorded the way Prisma records them", async () => {
    const url = new URL(process.env.DATABASE_URL!);
    url.pathname = `/livehouse_migrate_${uniq()}`;
    const dbUrl = url.toString();
    assert.equal(await ensureDatabase(dbUrl), true);
    try {
      const all = await readMigrations(migrationsDir);
      assert.ok(all.length >= 1);
      const first = await migrate(dbUrl, migrationsDir);
      assert.deepEqual(first.applied, all.map((m) => m.name));
      const second = await migrate(dbUrl, migrationsDir);
      assert.deepEqual(second.applied, []);
      assert.deepEqual(second.alreadyApplied, all.map((m) => m.name));

      const client = new pg.Client({ connectionString: dbUrl });
      await client.connect();
      const { rows } = await client.query(`SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name`);
      const tables = await client.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`);
      await client.end();
      for (const [i, m] of all.entries()) {
        const sql = readFileSync(path.join(migrationsDir, m.name, "migration.sql"));
        assert.equal(rows[i].migration_name, m.name);
        assert.equal(rows[i].checksum, createHash("sha256").update(sql).digest("hex"));
        assert.ok(rows[i].finished_at);
        assert.equal(rows[i].applied_steps_count, 1);
      }
      for (const t of ["users", "sessions", "channels", "stream_keys"]) {
        assert.ok(tables.rows.some((r) => r.tablename === t), `table ${t}`);
      }
    } finally {
      await dropDatabase(dbUrl);
    }
  });
});
