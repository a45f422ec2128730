import { headers } from "next/headers";
import { config } from "../../lib/config.ts";
import { TRUSTED_HEADERS } from "../../lib/origin.ts";

/** The RTMP server URL creators paste into OBS: configured, or this page's host on the RTMP port. */
export async function rtmpServerUrl(): Promise<string> {
  if (config.rtmpPublicUrl) return config.rtmpPublicUrl;
  const h = await headers();
  const host = h.get(TRUSTED_HEADERS.host) ?? h.get("host") ?? "localhost";
  const hostname = new URL(`http://${host}`).hostname;
  return `rtmp://${hostname}:${config.rtmpPort}/live`;
}
