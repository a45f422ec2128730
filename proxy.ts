// Security headers per request (Next.js proxy, formerly middleware); the rules are
// lib/securityHeaders.ts. The nonce travels to the page render in the request's
// own Content-Security-Policy header, where Next finds it and puts it on its scripts.
import { NextResponse, type NextRequest } from "next/server";
import { config as settings } from "./lib/config.ts";
import { mediaOrigin } from "./lib/media/layout.ts";
import { isHttps } from "./lib/origin.ts";
import { NONCE_HEADER } from "./lib/nonce.ts";
import { isFrameablePath, newNonce, securityHeaders } from "./lib/securityHeaders.ts";

/** Origin of the homeserver as browsers reach it, or null when the setting is not a usable http(s) URL. */
function homeserverOrigin(): string | null {
  try {
    const u = new URL(settings.matrixPublicUrl || settings.matrixHomeserverUrl);
    return u.protocol === "http:" || u.protocol === "https:" ? u.origin : null;
  } catch {
    return null;
  }
}

export function proxy(request: NextRequest) {
  const nonce = newNonce();
  const headers = securityHeaders({
    frameable: isFrameablePath(request.nextUrl.pathname),
    homeserver: homeserverOrigin(),
    media: mediaOrigin(),
    nonce,
    https: isHttps(request.headers),
    dev: process.env.NODE_ENV === "development",
  });
  const forwarded = new Headers(request.headers);
  forwarded.set(NONCE_HEADER, nonce);
  forwarded.set("Content-Security-Policy", headers["Content-Security-Policy"]);
  const response = NextResponse.next({ request: { headers: forwarded } });
  for (const [k, v] of Object.entries(headers)) response.headers.set(k, v);
  return response;
}

export const config = {
  // Built assets carry no documents; everything else (pages, API, media errors) gets the headers.
  matcher: ["/((?!_next/static|_next/image).*)"],
};
