// The edge role (`npm run edge`): WebRTC playback. Workers send each live session's
// WebRTC rendition as RTP to one UDP port (ingress.ts); viewers' OvenPlayer speaks
// OvenMediaEngine's signaling over a WebSocket that the web app proxies from
// /ws/<channel> (signaling.ts); every viewer's media goes out through one UDP port
// (WEBRTC_UDP_PORT) from a per-session fanout (fanout.ts). Several edges can run: each
// announces itself (lib/webrtc/edges.ts), workers send every edge every session, and
// the web app sends each new viewer to the edge with the most room.
import os from "node:os";
import nodeDataChannel from "node-datachannel";
import { canonicalAddress, trustedProxyMatcher } from "../lib/addresses.ts";
import { config } from "../lib/config.ts";
import { db } from "../lib/db.ts";
import { VIEWER_ID, countViewer } from "../lib/viewers.ts";
import { logger } from "../lib/log.ts";
import { TRUSTED_HEADERS } from "../lib/origin.ts";
import { EDGE_HEARTBEAT_MS, announceEdge, withdrawEdge } from "../lib/webrtc/edges.ts";
import { Fanout } from "./fanout.ts";
import { RtpIngress } from "./ingress.ts";
import { ErrorCode, SignalingError } from "./errors.ts";
import { SignalingServer, type ConnectionInfo, type Resolved } from "./signaling.ts";

const log = logger("edge");
if (config.webrtcLogLevel) nodeDataChannel.initLogger(config.webrtcLogLevel, (level, message) => log.info("libdatachannel", { level, message }));
const IDLE_MS = 60_000;

const fanouts = new Map<string, Fanout>();
function fanoutFor(sessionId: string): Fanout {
  let f = fanouts.get(sessionId);
  if (!f) fanouts.set(sessionId, (f = new Fanout()));
  return f;
}

const ingress = new RtpIngress((source, kind, packet) => fanoutFor(source.sessionId).onPacket(kind, packet));
const rtpPort = await ingress.start(config.edgeRtpPort, config.edgeRtpBind);

const SLUG_PATH = /^\/ws\/([a-z0-9-]{1,64})\/?(?:\?(.*))?$/;

/** The live session a /ws/<channel> connection plays, or why not (OvenPlayer then plays HLS). */
async function resolve(c: ConnectionInfo): Promise<Resolved> {
  const m = SLUG_PATH.exec(c.url);
  if (!m) throw new SignalingError(ErrorCode.NotFound, "unknown path; use /ws/<channel>");
  const channel = await db().channel.findUnique({ where: { slug: m[1] }, select: { id: true, webrtcEnabled: true } });
  if (!channel) throw new SignalingError(ErrorCode.NotFound, "no such channel");
  if (!config.webrtcEnabled || !channel.webrtcEnabled) throw new SignalingError(ErrorCode.NotFound, "low-latency playback is off for this channel");
  const session = await db().liveSession.findFirst({ where: { channelId: channel.id, status: { in: ["live", "reconnecting"] } }, orderBy: { startedAt: "desc" }, select: { id: true } });
  if (!session) throw new SignalingError(ErrorCode.NotFound, "the channel is not live");
  const viewer = new URLSearchParams(m[2] ?? "").get("viewer");
  return {
    fanout: fanoutFor(session.id),
    // The page counts the same viewer id; a player elsewhere (an embed) is counted here.
    heartbeat: () => void countViewer(session.id, viewer && VIEWER_ID.test(viewer) ? viewer : null, c.clientAddress).catch(() => {}),
  };
}

const trusted = trustedProxyMatcher(config.edgeTrustedProxies);
const signaling = new SignalingServer({
  resolve,
  port: config.edgeSignalingPort,
  host: config.edgeSignalingBind,
  iceUdpPort: config.webrtcUdpPort,
  bindAddress: config.webrtcBind || undefined,
  publicIp: config.webrtcPublicIp || undefined,
  maxViewers: config.webrtcMaxViewers,
  maxPeersPerAddress: config.webrtcMaxPeersPerAddress,
  clientAddress: (req) => {
    const socket = canonicalAddress(req.socket.remoteAddress ?? "unknown");
    const forwarded = req.headers[TRUSTED_HEADERS.clientIp];
    return trusted(socket) && typeof forwarded === "string" && forwarded ? canonicalAddress(forwarded) : socket;
  },
  log: (msg) => log.info(msg),
});
const signalingPort = await signaling.listening();

const edgeId = config.edgeId || `${os.hostname()}:${signalingPort}`;
let announceFailing = false;
async function announce() {
  try {
    await announceEdge({
      id: edgeId,
      rtp: { host: config.edgeRtpHost, port: rtpPort },
      signalingUrl: config.edgeInternalUrl,
      viewers: signaling.peerCount,
      maxViewers: config.webrtcMaxViewers,
      at: Date.now(),
    });
    if (announceFailing) log.info("announcing again");
    announceFailing = false;
  } catch (e) {
    if (!announceFailing) log.warn("could not announce this edge; workers and the web app will not find it", { error: (e as Error).message });
    announceFailing = true;
  }
}
await announce();
setInterval(() => void announce(), EDGE_HEARTBEAT_MS).unref();
log.info("ready", { id: edgeId, signaling: `${config.edgeSignalingBind}:${signalingPort}`, rtp: `${config.edgeRtpBind}:${rtpPort}`, announced: `${config.edgeRtpHost}:${rtpPort} ${config.edgeInternalUrl}`, webrtcUdp: config.webrtcUdpPort, publicIp: config.webrtcPublicIp || null });

// A session nobody watches and nobody sends is let go (its SSRC routes too).
setInterval(() => {
  const now = performance.now();
  for (const [id, f] of fanouts) {
    if (f.viewerCount === 0 && now - f.lastPacketAt > IDLE_MS) {
      fanouts.delete(id);
      ingress.forgetSession(id);
    }
  }
}, 15_000).unref();

async function stop() {
  // Out of the registry first, so no new viewer is sent here while we close.
  await Promise.race([withdrawEdge(edgeId).catch(() => {}), new Promise((r) => setTimeout(r, 1000))]);
  signaling.close();
  ingress.close();
  nodeDataChannel.cleanup();
  process.exit(0);
}
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
