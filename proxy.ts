// Security headers computed per request (Next.js proxy, formerly middleware).
// The chat widget talks to the Matrix homeserver straight from the browser, and
// that origin is only known at run time (MATRIX_PUBLIC_URL, or a random port in
// the test stack), so the Content-Security-Policy cannot be fixed at build time
// in next.config.ts. The chat-only embed (/c/<slug>/chat) may be framed by any
// site; every other page refuses framing.
import { NextResponse, type NextRequest } from "next/server";
import { config as settings } from "./lib/config.ts";

const dev = process.env.NODE_ENV === "development";
const CHAT_EMBED = /^\/c\/[^/]+\/chat\/?$/;

/** Origin of the homeserver as browsers reach it, or null when the setting is not a usable http(s) URL. */
function homeserverOrigin(): string | null {
  try {
    const u = new URL(settings.matrixPublicUrl || settings.matrixHomeserverUrl);
    return u.protocol === "http:" || u.protocol === "https:" ? u.origin : null;
  } catch {
    return null;
  }
}

// React escapes text, and this policy is the second line: no inline event handlers,
// no foreign scripts, no framing. Next's hydration needs inline <script> blocks.
function contentSecurityPolicy(opts: { frameable: boolean; homeserver: string | null }): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'unsafe-inline'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    // OvenPlayer's icon font; hls.js transmuxes in a blob: worker.
    "font-src 'self' data:",
    "worker-src 'self' blob:",
    // The chat's Matrix client-server API calls (sync, send, join) go to the homeserver.
    `connect-src 'self'${opts.homeserver ? ` ${opts.homeserver}` : ""}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    `frame-ancestors ${opts.frameable ? "*" : "'none'"}`,
  ].join("; ");
}

export function proxy(request: NextRequest) {
  const frameable = CHAT_EMBED.test(request.nextUrl.pathname);
  const response = NextResponse.next();
  response.headers.set("Content-Security-Policy", contentSecurityPolicy({ frameable, homeserver: homeserverOrigin() }));
  if (!frameable) response.headers.set("X-Frame-Options", "DENY");
  return response;
}

export const config = {
  // Built assets carry no documents; everything else (pages, API, media errors) gets the headers.
  matcher: ["/((?!_next/static|_next/image).*)"],
};
