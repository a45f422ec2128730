// The security headers of every page and API answer, computed per request: the
// chat widget talks to the Matrix homeserver straight from the browser and that
// origin is only known at run time, and every document gets a fresh script nonce.
// Pure; proxy.ts applies it.

export interface SecurityHeaderInput {
  /** Only the embeds may be framed by other sites (isFrameablePath). */
  frameable: boolean;
  /** Origin browsers reach the homeserver at, or null. */
  homeserver: string | null;
  /** Origin media is fetched from when it is not this site (MEDIA_PUBLIC_URL), or null. */
  media?: string | null;
  /** This request's script nonce (base64). */
  nonce: string;
  /** The site is served over https (PUBLIC_URL, or a trusted proxy said so). */
  https: boolean;
  dev?: boolean;
}

// The pages made to be put in other sites' iframes (and OBS browser sources): the
// chat-only embed and the player embeds (live, and replays). Every other page
// refuses framing, the channel page included (clickjacking of its buttons).
const FRAMEABLE_PATHS = [/^\/c\/[^/]+\/chat\/?$/, /^\/embed\/[^/]+(?:\/replays\/[^/]+)?\/?$/];

export function isFrameablePath(pathname: string): boolean {
  return FRAMEABLE_PATHS.some((re) => re.test(pathname));
}

export const HSTS = "max-age=31536000; includeSubDomains";

// React escapes text, and this policy is the second line: scripts only with this
// response's nonce (Next puts it on its own scripts; 'strict-dynamic' lets them load
// the player and chat chunks), no inline handlers, no foreign scripts, no framing.
export function contentSecurityPolicy(i: SecurityHeaderInput): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${i.nonce}' 'strict-dynamic'${i.dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    `img-src 'self' data: blob:${i.media ? ` ${i.media}` : ""}`,
    `media-src 'self' blob:${i.media ? ` ${i.media}` : ""}`,
    // OvenPlayer's icon font; hls.js transmuxes in a blob: worker.
    "font-src 'self' data:",
    "worker-src 'self' blob:",
    // The chat's Matrix client-server API calls (sync, send, join) go to the homeserver.
    // Players fetch playlists and segments with XHR: from the bucket or CDN too when media is served from there.
    `connect-src 'self'${i.homeserver ? ` ${i.homeserver}` : ""}${i.media ? ` ${i.media}` : ""}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    `frame-ancestors ${i.frameable ? "*" : "'none'"}`,
  ].join("; ");
}

export function securityHeaders(i: SecurityHeaderInput): Record<string, string> {
  const h: Record<string, string> = { "Content-Security-Policy": contentSecurityPolicy(i) };
  if (!i.frameable) h["X-Frame-Options"] = "DENY";
  if (i.https) h["Strict-Transport-Security"] = HSTS;
  return h;
}

/** 128 random bits, base64, for a CSP nonce (Web Crypto: the proxy may run outside Node). */
export function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes));
}
