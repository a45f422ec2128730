import { NextResponse } from "next/server";
import { db } from "../../../lib/db.ts";
import { redis } from "../../../lib/redis.ts";

export const dynamic = "force-dynamic";

export async function GET() {
  const [database, cache] = await Promise.all([
    db().$queryRaw`SELECT 1`.then(() => true, () => false),
    redis().ping().then(() => true, () => false),
  ]);
  const ok = database && cache;
  return NextResponse.json({ ok, database, redis: cache }, { status: ok ? 200 : 503, headers: { "Cache-Control": "no-store" } });
}
