// The ingest role: RTMP on :1935. A publisher presents `live/<stream key>`; the
// key is checked against its stored hash before anything else happens. Until
// then its media goes into a broadcast that is in no registry, so nothing can
// read it. Once verified, the broadcast is registered under `internal/<part id>`
// — the only name workers ever use — and a transcode job is queued.
import net from "node:net";
import { Redis } from "ioredis";
import { config } from "../lib/config.ts";
import { aacCodecFromFlvSequenceHeader, avcCodecFromFlvSequenceHeader } from "../lib/ffmpeg/h264.ts";
import { internalSecret, verifyInternalRead } from "../lib/internalAuth.ts";
import { controlChannel, publisherConnected, publisherDropped, type ConnectedPart } from "../lib/liveSessions.ts";
import { logger } from "../lib/log.ts";
import { blockedFor, hit, type Counter } from "../lib/rateLimit.ts";
import { redis } from "../lib/redis.ts";
import { authenticateStreamKey, isWellFormedStreamKey } from "../lib/streamKeys.ts";
import { isUuid } from "../lib/channels.ts";
import { Context, RtmpSession, type NmsBroadcast, type NmsPacket, type NmsSession } from "./nms.ts";
import { PublisherStats } from "./stats.ts";

const log = logger("ingest");

interface Publisher {
  session: NmsSession;
  ip: string;
  broadcast: NmsBroadcast;
  part?: ConnectedPart;
  firstMediaAt?: number;
  firstDts?: number;
  videoCodec: string | null;
  audioCodec: string | null;
  hasVideoHeader: boolean;
  stats: PublisherStats;
  closed: boolean;
}

const publishers = new Map<string, Publisher>(); // by NMS session id
let secret = "";

const failureCounter = (ip: string): Counter => ({
  key: `ingest:badkey:${ip}`,
  max: config.ingestMaxKeyFailures,
  windowSeconds: config.ingestFailureWindowSeconds,
});
// Local copy of blocked addresses, so a flood from one is dropped without a Redis round trip.
const blockedUntil = new Map<string, number>();

function addressOf(socket: net.Socket): string {
  return (socket.remoteAddress ?? "unknown").replace(/^::ffff:/, "");
}

async function isBlocked(ip: string): Promise<boolean> {
  const local = blockedUntil.get(ip);
  if (local && local > Date.now()) return true;
  const wait = await blockedFor([failureCounter(ip)]);
  if (wait > 0) blockedUntil.set(ip, Date.now() + wait * 1000);
  return wait > 0;
}

async function refusePublish(p: Publisher, reason: string): Promise<void> {
  log.warn("publish refused", { reason, ip: p.ip, conn: p.session.id });
  p.session.socket.destroy();
  await hit([failureCounter(p.ip)]).catch(() => {});
  if (await isBlocked(p.ip)) log.warn("address refused for repeated bad stream keys", { ip: p.ip });
}

function onConnection(socket: net.Socket): void {
  const ip = addressOf(socket);
  socket.setNoDelay(true);
  // Until a publish is verified or a read authorised, an idle connection is dropped.
  socket.setTimeout(config.ingestHandshakeTimeoutSeconds * 1000, () => socket.destroy());
  socket.on("error", () => {});
  isBlocked(ip).then(
    (blocked) => {
      if (blocked) return socket.destroy();
      if (socket.destroyed) return;
      const session = new RtmpSession(socket);
      // NMS parses untrusted bytes inside a socket 'data' handler; an exception there
      // would end the process. Contain it to this connection.
      const parse = session.onData;
      session.onData = (data: Buffer) => {
        try {
          parse(data);
        } catch (err) {
          log.warn("malformed RTMP data; connection closed", { ip, error: (err as Error).message.slice(0, 120) });
          socket.destroy();
        }
      };
      session.run();
      Context.sessions.set(session.id, session);
    },
    () => socket.destroy(),
  );
}

function watchPackets(p: Publisher): void {
  const forward = p.broadcast.broadcastMessage;
  p.broadcast.broadcastMessage = (packet: NmsPacket) => {
    if (packet.codec_type === 9 || packet.codec_type === 8) {
      if (p.firstMediaAt === undefined) {
        p.firstMediaAt = Date.now();
        p.firstDts = packet.dts;
      }
      p.stats.onPacket(packet);
      if (packet.flags === 2) {
        p.hasVideoHeader = true;
        p.videoCodec = avcCodecFromFlvSequenceHeader(packet.data) ?? p.videoCodec ?? `flv-video-${packet.codec_id}`;
      } else if (packet.flags === 0) {
        p.audioCodec = aacCodecFromFlvSequenceHeader(packet.data) ?? p.audioCodec;
      } else if (packet.codec_type === 8 && !p.audioCodec) {
        p.audioCodec = `flv-audio-${packet.codec_id}`;
      }
    }
    forward(packet);
  };
}

function waitForVideo(p: Publisher, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const started = Date.now();
    const tick = () => {
      if (p.closed) return resolve(false);
      // Metadata (size, frame rate) follows the sequence header within a frame or two.
      if (p.hasVideoHeader && (p.session.videoWidth > 0 || Date.now() - started > 1500)) return resolve(true);
      if (Date.now() - started > timeoutMs) return resolve(false);
      setTimeout(tick, 25);
    };
    tick();
  });
}

function onPrePublish(session: NmsSession): void {
  const presentedKey = session.streamName;
  const app = session.streamApp;
  const broadcast = session.broadcast;
  // Take the broadcast out of the registry: no reader can attach to an unverified
  // publisher, and the key disappears from every name NMS keeps.
  if (Context.broadcasts.get(session.streamPath) === broadcast) Context.broadcasts.delete(session.streamPath);
  session.streamName = session.id;
  session.streamPath = `/pending/${session.id}`;
  broadcast.streamPath = session.streamPath;
  broadcast.publishGraceMs = 0; // reconnects are the live-session state machine's business

  const p: Publisher = {
    session,
    ip: addressOf(session.socket),
    broadcast,
    videoCodec: null,
    audioCodec: null,
    hasVideoHeader: false,
    stats: new PublisherStats(),
    closed: false,
  };
  publishers.set(session.id, p);
  watchPackets(p);
  session.socket.once("close", () => onPublisherClosed(p));
  void verifyPublisher(p, app, presentedKey);
}

async function verifyPublisher(p: Publisher, app: string, key: string): Promise<void> {
  try {
    if (app !== "live") return await refusePublish(p, "wrong application (publish to /live)");
    if (await isBlocked(p.ip)) return void p.session.socket.destroy();
    const auth = isWellFormedStreamKey(key) ? await authenticateStreamKey(key) : null;
    if (!auth) return await refusePublish(p, "unknown, revoked or malformed stream key");
    if (p.closed) return;
    if (!(await waitForVideo(p, 10_000))) {
      if (!p.closed) log.warn("publish dropped: no H.264 video within 10 s", { ip: p.ip, conn: p.session.id });
      return void p.session.socket.destroy();
    }
    const s = p.session;
    p.part = await publisherConnected({
      channelId: auth.channelId,
      streamKeyId: auth.keyId,
      startedAt: new Date(p.firstMediaAt ?? Date.now()),
      timelineOffsetMs: p.firstDts ?? 0,
      media: {
        videoCodec: p.videoCodec,
        audioCodec: p.audioCodec,
        width: s.videoWidth || null,
        height: s.videoHeight || null,
        fps: s.videoFramerate || null,
      },
    });
    if (p.closed) {
      await publisherDropped(p.part.partId);
      return;
    }
    // Older connections of the same session (a reconnect racing a half-open socket) go.
    for (const other of publishers.values()) {
      if (other !== p && other.part?.sessionId === p.part.sessionId) other.session.socket.destroy();
    }
    const internalPath = `/internal/${p.part.partId}`;
    s.streamPath = internalPath;
    p.broadcast.streamPath = internalPath;
    Context.broadcasts.set(internalPath, p.broadcast);
    // Verified: only a stalled publisher is dropped now.
    s.socket.setTimeout(30_000, () => s.socket.destroy());
    log.info("publish accepted", {
      channel: auth.channelId,
      session: p.part.sessionId,
      part: p.part.partIndex,
      ip: p.ip,
      video: `${s.videoWidth}x${s.videoHeight}@${s.videoFramerate}`,
    });
  } catch (err) {
    log.error("publish failed", { ip: p.ip, error: String(err) });
    p.session.socket.destroy();
  }
}

async function onPublisherClosed(p: Publisher): Promise<void> {
  p.closed = true;
  publishers.delete(p.session.id);
  // Readers of this part get end-of-stream now, instead of waiting for their timeout.
  for (const reader of p.broadcast.subscribers.values()) reader.socket.destroy();
  if (Context.broadcasts.get(p.broadcast.streamPath) === p.broadcast) Context.broadcasts.delete(p.broadcast.streamPath);
  if (!p.part) return;
  await redis().del(`ingest-stats:${p.part.sessionId}`).catch(() => {});
  try {
    const status = await publisherDropped(p.part.partId);
    log.info("publisher left", { session: p.part.sessionId, part: p.part.partIndex, status });
  } catch (err) {
    log.error("could not record the publisher leaving", { session: p.part.sessionId, error: String(err) });
  }
}

function onPrePlay(session: NmsSession): void {
  const ip = addressOf(session.socket);
  const partId = session.streamName;
  const broadcast = Context.broadcasts.get(session.streamPath);
  const ok =
    session.streamApp === "internal" &&
    isUuid(partId) &&
    broadcast?.publisher != null &&
    verifyInternalRead(secret, partId, session.streamQuery.e, session.streamQuery.t);
  if (!ok) {
    log.warn("read refused", { ip, app: session.streamApp.slice(0, 20) });
    session.socket.destroy();
    return;
  }
  // Fencing: a newer transcode attempt replaces any older reader of the same part,
  // so two ffmpeg processes never encode one stream.
  const epoch = Number(session.streamQuery.e);
  for (const other of broadcast.subscribers.values()) {
    const otherEpoch = Number(other.streamQuery.e);
    if (otherEpoch < epoch) other.socket.destroy();
    else if (otherEpoch > epoch) {
      session.socket.destroy();
      return;
    }
  }
  session.socket.setTimeout(0);
}

async function publishStats(): Promise<void> {
  for (const p of publishers.values()) {
    if (!p.part) continue;
    const s = p.session;
    const snapshot = p.stats.snapshot(s.inBytes);
    await redis().set(
      `ingest-stats:${p.part.sessionId}`,
      JSON.stringify({
        partIndex: p.part.partIndex,
        connectedAt: p.firstMediaAt,
        width: s.videoWidth || null,
        height: s.videoHeight || null,
        declaredFps: s.videoFramerate || null,
        videoCodec: p.videoCodec,
        audioCodec: p.audioCodec,
        ...snapshot,
      }),
      "EX",
      10,
    );
  }
}

async function main() {
  secret = await internalSecret();
  Context.eventEmitter.on("prePublish", onPrePublish);
  Context.eventEmitter.on("prePlay", onPrePlay);

  const control = new Redis(config.redisUrl);
  await control.subscribe(controlChannel());
  control.on("message", (_channel, message) => {
    try {
      const msg = JSON.parse(message) as { type: string; sessionId: string };
      if (msg.type !== "disconnect") return;
      for (const p of publishers.values()) {
        if (p.part?.sessionId === msg.sessionId) {
          log.info("disconnecting publisher: session ended", { session: msg.sessionId });
          p.session.socket.destroy();
        }
      }
    } catch {}
  });

  const server = net.createServer(onConnection);
  server.maxConnections = config.ingestMaxConnections;
  server.on("error", (err) => {
    log.error("RTMP listener failed", { error: String(err) });
    process.exit(1);
  });
  server.listen(config.rtmpPort, config.rtmpBind, () =>
    log.info("listening", { rtmp: `rtmp://${config.rtmpBind}:${config.rtmpPort}/live` }),
  );
  const timer = setInterval(() => void publishStats().catch(() => {}), 2000);

  const stop = () => {
    clearInterval(timer);
    server.close();
    for (const p of publishers.values()) p.session.socket.destroy();
    setTimeout(() => process.exit(0), 1500).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((err) => {
  log.error("ingest failed to start", { error: String(err) });
  process.exit(1);
});
