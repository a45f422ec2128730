// CSRF defence for every mutation (server actions and route handlers): the request
// must come from a page of this site. Browsers send Origin on every POST, PUT,
// PATCH and DELETE, so a missing one is refused as well.
import { config } from "./config.ts";

/** Set by app/server.ts from the socket (or trusted proxy headers); clients cannot forge them. */
export const TRUSTED_HEADERS = { clientIp: "x-livehouse-client-ip", proto: "x-livehouse-proto", host: "x-livehouse-host" };

export function expectedOrigin(headers: Headers): string | null {
  if (config.publicUrl) return new URL(config.publicUrl).origin;
  const host = headers.get(TRUSTED_HEADERS.host) ?? headers.get("host");
  if (!host) return null;
  const proto = headers.get(TRUSTED_HEADERS.proto) ?? "http";
  return `${proto}://${host}`;
}

/** null when the request may mutate; otherwise the reason it may not. */
export function crossOriginRefusal(headers: Headers): string | null {
  const site = headers.get("sec-fetch-site");
  if (site && site !== "same-origin") return "Cross-site request refused.";
  const origin = headers.get("origin");
  if (!origin) return "Request refused: it has no Origin header.";
  const expected = expectedOrigin(headers);
  if (!expected || origin.toLowerCase() !== expected.toLowerCase()) return "Cross-site request refused.";
  return null;
}

export function clientIp(headers: Headers): string {
  return headers.get(TRUSTED_HEADERS.clientIp) ?? "unknown";
}

export function isHttps(headers: Headers): boolean {
  if (config.publicUrl) return config.publicUrl.startsWith("https:");
  return headers.get(TRUSTED_HEADERS.proto) === "https";
}
