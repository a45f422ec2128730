// Where this run's WebRTC rendition goes: this worker's RTP relay (which passes it to
// every edge), under SSRCs drawn and registered for this run (a new run, a new source
// epoch at the edges). Null when WebRTC is off for the instance or the channel.
import { config } from "../../lib/config.ts";
import { db } from "../../lib/db.ts";
import type { WebrtcTarget } from "../../lib/ffmpeg/webrtcRtp.ts";
import { registerRtpSources } from "../../lib/webrtc/rtpSources.ts";
import { workerRtpRelay } from "./rtpRelay.ts";

export async function webrtcTargetFor(session: { id: string; channelId: string }): Promise<WebrtcTarget | null> {
  if (!config.webrtcEnabled) return null;
  const channel = await db().channel.findUnique({ where: { id: session.channelId }, select: { webrtcEnabled: true } });
  if (!channel?.webrtcEnabled) return null;
  const relay = await workerRtpRelay();
  return { ...relay.address, ssrcs: await registerRtpSources(session.id) };
}
