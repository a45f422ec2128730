import { headers } from "next/headers";
import { config } from "../../lib/config.ts";
import { TRUSTED_HEADERS } from "../../lib/origin.ts";

/** The RTMP server URL creators paste into OBS: configured, or this page's host on the RTMP port. */
export async function rtmpServerUrl(): Promise<string> {
  if (config.rtmpPublicUrl) return config.rtmpPublicUrl;
  return `rtmp://${await pageHostname()}:${config.rtmpPort}/live`;
}

/**
 * The RTMPS server URL, or null when nobody offers RTMPS. A configured URL counts even with
 * RTMPS_PORT=0: TLS may end at a load balancer in front of ingest's plain RTMP port.
 */
export async function rtmpsServerUrl(): Promise<string | null> {
  if (config.rtmpsPublicUrl) return config.rtmpsPublicUrl;
  if (!config.rtmpsPort) return null;
  return `rtmps://${await pageHostname()}:${config.rtmpsPort}/live`;
}

async function pageHostname(): Promise<string> {
  const h = await headers();
  const host = h.get(TRUSTED_HEADERS.host) ?? h.get("host") ?? "localhost";
  return new URL(`http://${host}`).hostname;
}
