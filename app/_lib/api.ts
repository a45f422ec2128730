// Shared plumbing for route handlers: who is calling (a browser session, or an API
// token with its scopes), CSRF refusal, and one mapping from domain errors to HTTP answers.
import { NextResponse } from "next/server";
import { assertAdmin } from "../../lib/admin.ts";
import { API_SCOPES, type ApiScope } from "../../lib/apiScopes.ts";
import { authenticateApiToken, channelOfResource, type ResourceRef } from "../../lib/apiTokens.ts";
import { isUuid } from "../../lib/channels.ts";
import { LimitError, NotFoundError, ValidationError } from "../../lib/errors.ts";
import { logger } from "../../lib/log.ts";
import { crossOriginRefusal } from "../../lib/origin.ts";
import { currentUser } from "./auth.ts";
import type { SessionUser } from "../../lib/sessions.ts";

const log = logger("web");

export function jsonError(status: number, error: string, fields?: Record<string, string>, headers?: Record<string, string>) {
  return NextResponse.json({ error, ...(fields ? { fields } : {}) }, { status, headers: { "Cache-Control": "no-store", ...headers } });
}

/** Who made the call: a logged-in browser, or an API token (for the account, or one channel). */
export type Caller = { via: "session" } | { via: "token"; tokenId: string; channelId: string | null; scopes: ApiScope[] };

/** How API tokens may call a route. A route without it answers only to a browser session. */
export interface TokenAccess<P> {
  scope: ApiScope;
  /**
   * What the path names, so that a channel token reaches only its own channel; "account"
   * for a route that names no channel and limits what it answers by `caller.channelId`.
   */
  resource: ((params: P) => ResourceRef) | "account";
}

type Handler<P> = (user: SessionUser, request: Request, params: P, caller: Caller) => Promise<Response>;

/** The token of an `Authorization: Bearer` header; null when the request has none (other schemes are not ours). */
function bearerToken(headers: Headers): string | null {
  const m = /^\s*Bearer(?:\s+(.*?))?\s*$/i.exec(headers.get("authorization") ?? "");
  return m ? (m[1] ?? "") : null;
}

/**
 * Wraps a route handler. A browser needs a session and, for mutations, a same-origin
 * request. A request with `Authorization: Bearer` is a program's: it is judged by the
 * token alone (a cookie beside it is ignored, so it cannot lend the token its powers,
 * and no CSRF check applies: a page of another site cannot set that header), with the
 * same ownership checks, plus the route's scope and the token's channel.
 */
export function authed<P>(handler: Handler<P>, tokens?: TokenAccess<P>) {
  return async (request: Request, ctx: { params: Promise<P> }): Promise<Response> => {
    let user: SessionUser;
    let caller: Caller;
    const bearer = bearerToken(request.headers);
    if (bearer !== null) {
      const principal = await authenticateApiToken(bearer);
      if (!principal) {
        return jsonError(401, "The API token is not valid: it is unknown or revoked, or its account is disabled.", undefined, { "WWW-Authenticate": 'Bearer error="invalid_token"' });
      }
      if (!tokens) return jsonError(403, "API tokens cannot call this endpoint: it needs a logged-in browser session.");
      if (!principal.scopes.includes(tokens.scope)) {
        return NextResponse.json(
          { error: `This API token lacks the scope "${tokens.scope}" (${API_SCOPES[tokens.scope]}). Create a token with that scope.`, requiredScope: tokens.scope },
          { status: 403, headers: { "Cache-Control": "no-store", "WWW-Authenticate": `Bearer error="insufficient_scope", scope="${tokens.scope}"` } },
        );
      }
      user = principal.user;
      caller = { via: "token", tokenId: principal.tokenId, channelId: principal.channelId, scopes: principal.scopes };
    } else {
      if (request.method !== "GET" && request.method !== "HEAD") {
        const refusal = crossOriginRefusal(request.headers);
        if (refusal) return jsonError(403, refusal);
      }
      const sessionUser = await currentUser();
      if (!sessionUser) return jsonError(401, "Log in first.");
      user = sessionUser;
      caller = { via: "session" };
    }
    try {
      const params = await ctx.params;
      // Every [id]-like segment is a UUID: anything else names nothing (and must not reach a uuid column).
      for (const [name, value] of Object.entries((params ?? {}) as Record<string, unknown>)) {
        if (/(^id|Id)$/.test(name) && (typeof value !== "string" || !isUuid(value))) return jsonError(404, "Not found");
      }
      // A channel token and another channel: the same answer as somebody else's channel.
      if (caller.via === "token" && caller.channelId && tokens && tokens.resource !== "account" && (await channelOfResource(tokens.resource(params))) !== caller.channelId) {
        return jsonError(404, "Not found");
      }
      return await handler(user, request, params, caller);
    } catch (err) {
      if (err instanceof NotFoundError) return jsonError(404, err.message);
      if (err instanceof ValidationError) return jsonError(422, err.message, err.fields);
      if (err instanceof LimitError) return jsonError(409, err.message);
      log.error("route handler failed", { path: new URL(request.url).pathname, error: String(err) });
      return jsonError(500, "Something went wrong on our side. Try again.");
    }
  };
}

/** authed() for the instance admin's routes: anyone else gets 404 before the body is read. */
export function adminOnly<P>(handler: Handler<P>) {
  return authed<P>(async (user, request, params, caller) => {
    await assertAdmin(user.id);
    return handler(user, request, params, caller);
  });
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
