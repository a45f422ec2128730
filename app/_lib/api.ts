// Shared plumbing for route handlers: CSRF refusal, the session user, and one
// mapping from domain errors to HTTP answers.
import { NextResponse } from "next/server";
import { LimitError, NotFoundError, ValidationError } from "../../lib/errors.ts";
import { logger } from "../../lib/log.ts";
import { crossOriginRefusal } from "../../lib/origin.ts";
import { currentUser } from "./auth.ts";
import type { SessionUser } from "../../lib/sessions.ts";

const log = logger("web");

export function jsonError(status: number, error: string, fields?: Record<string, string>) {
  return NextResponse.json({ error, ...(fields ? { fields } : {}) }, { status, headers: { "Cache-Control": "no-store" } });
}

type Handler<P> = (user: SessionUser, request: Request, params: P) => Promise<Response>;

/** Wraps a route handler: mutations must be same-origin, every call needs a session. */
export function authed<P>(handler: Handler<P>) {
  return async (request: Request, ctx: { params: Promise<P> }): Promise<Response> => {
    if (request.method !== "GET" && request.method !== "HEAD") {
      const refusal = crossOriginRefusal(request.headers);
      if (refusal) return jsonError(403, refusal);
    }
    const user = await currentUser();
    if (!user) return jsonError(401, "Log in first.");
    try {
      return await handler(user, request, await ctx.params);
    } catch (err) {
      if (err instanceof NotFoundError) return jsonError(404, err.message);
      if (err instanceof ValidationError) return jsonError(422, err.message, err.fields);
      if (err instanceof LimitError) return jsonError(409, err.message);
      log.error("route handler failed", { path: new URL(request.url).pathname, error: String(err) });
      return jsonError(500, "Something went wrong on our side. Try again.");
    }
  };
}

/** Reads a small JSON body; refuses anything else with a clear message. */
export async function readJson(request: Request, maxBytes = 4096): Promise<Record<string, unknown>> {
  const type = request.headers.get("content-type") ?? "";
  if (!type.includes("application/json")) throw new ValidationError({ "": "Send JSON (Content-Type: application/json)." });
  const text = await request.text();
  if (text.length > maxBytes) throw new ValidationError({ "": "Request body is too large." });
  try {
    const v = JSON.parse(text);
    if (typeof v === "object" && v !== null && !Array.isArray(v)) return v;
  } catch {}
  throw new ValidationError({ "": "Request body is not a JSON object." });
}
