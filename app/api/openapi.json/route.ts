import { NextResponse } from "next/server";
import { config } from "../../../lib/config.ts";
import { openApiDocument } from "../../../lib/openapi.ts";

export const dynamic = "force-dynamic";

/** Public: the OpenAPI 3.1 description of this API. */
export async function GET() {
  return NextResponse.json(openApiDocument(config.publicUrl || "/"), { headers: { "Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*" } });
}
