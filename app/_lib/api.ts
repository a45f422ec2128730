// Shared plumbing for route handlers: CSRF refusal, the session user, and one
// mapping from domain errors to HTTP answers.
import { NextResponse } from "next/server";
import { isUuid } from "../../lib/channels.ts";
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
      const params = await ctx.params;
      // Every [id]-like segment is a UUID: anything else names nothing (and must not reach a uuid column).
      for (const [name, value] of Object.entries((params ?? {}) as Record<string, unknown>)) {
        if (/(^id|Id)$/.test(name) && (typeof value !== "string" || !isUuid(value))) return jsonError(404, "Not found");
      }
      return await handler(user, request, params);
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
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {}
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new ValidationError({ "": "Request body is not a JSON object." });
  // PostgreSQL refuses NUL in text, and no field has a use for it: one clear answer for every route.
  if (containsNul(v)) throw new ValidationError({ "": "Text must not contain NUL characters." });
  return v as Record<string, unknown>;
}

function containsNul(v: unknown): boolean {
  if (typeof v === "string") return v.includes("\0");
  if (Array.isArray(v)) return v.some(containsNul);
  if (typeof v === "object" && v !== null) return Object.entries(v).some(([k, x]) => k.includes("\0") || containsNul(x));
  return false;
}
