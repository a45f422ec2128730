// Publish verification and the publisher's lifetime. A publisher presents
// `live/<stream key>`; until the key is checked against its stored hash and the
// source is one we can transcode, its media is held in memory under a name in no
// registry. Once verified, a live part is opened (lib/liveSessions.ts) and every
// message goes to the part's spool, which workers read (ingest/spool.ts).
import { aacCodecFromFlvSequenceHeader, aacConfigFromFlvSequenceHeader, avcCodecFromFlvSequenceHeader } from "../lib/ffmpeg/h264.ts";
import { writeIngestStats } from "../lib/ingestStats.ts";
import { publisherConnected, publisherDropped, type ConnectedPart } from "../lib/liveSessions.ts";
import { logger } from "../lib/log.ts";
import { reportStreamProblem } from "../lib/streamProblem.ts";
import { authenticateStreamKey, isWellFormedStreamKey } from "../lib/streamKeys.ts";
import { addressOf, isBlocked, markVerified, refuseBadKey } from "./admission.ts";
import { Context, type NmsBroadcast, type NmsPacket, type NmsSession } from "./nms.ts";
import { avcDimensionsFromFlvSequenceHeader, judgeSource, type ObservedSource } from "./sourceCheck.ts";
import type { PartSpool } from "./spool.ts";
import type { SpoolRegistry } from "./spoolRegistry.ts";
import { PublisherStats } from "./stats.ts";
import { COUNTER, count } from "../lib/metrics.ts";

const log = logger("ingest");
const SOURCE_WAIT_SECONDS = 10;
/** Media held while a publish is being verified (normally well under a second of it). */
const PENDING_MAX_BYTES = 16 << 20;

export interface Publisher {
  session: NmsSession;
  ip: string;
  broadcast: NmsBroadcast;
  part?: ConnectedPart;
  spool?: PartSpool;
  /** Copies of the messages received before the spool exists. */
  pending: NmsPacket[];
  pendingBytes: number;
  startedAt: number;
  firstMediaAt?: number;
  firstDts?: number;
  observed: ObservedSource;
  videoCodec: string | null;
  audioCodec: string | null;
  audioSampleRate: number | null;
  audioChannels: number | null;
  spsSize: { width: number; height: number } | null;
  stats: PublisherStats;
  closed: boolean;
}

export class Publishers {
  private byConnection = new Map<string, Publisher>();

  constructor(private readonly spools: SpoolRegistry) {}

  all(): Publisher[] {
    return [...this.byConnection.values()];
  }

  isPublishing(partId: string): boolean {
    return this.all().some((p) => p.part?.partId === partId && !p.closed);
  }

  /** node-media-server's prePublish: synchronous, its return value ignored (see ../shared notes). */
  onPrePublish = (session: NmsSession): void => {
    const presentedKey = session.streamName;
    const app = session.streamApp;
    const broadcast = session.broadcast;
    // Take the broadcast out of the registry: nothing can attach to a publisher by
    // name, and the key disappears from every name NMS keeps.
    if (Context.broadcasts.get(session.streamPath) === broadcast) Context.broadcasts.delete(session.streamPath);
    session.streamName = session.id;
    session.streamPath = `/pending/${session.id}`;
    broadcast.streamPath = session.streamPath;
    broadcast.publishGraceMs = 0; // reconnects are the live-session state machine's business

    const p: Publisher = {
      session,
      ip: addressOf(session.socket),
      broadcast,
      pending: [],
      pendingBytes: 0,
      startedAt: Date.now(),
      observed: { videoCodecId: null, enhancedVideo: false, avcHeader: false, audioCodecId: null, waitedSeconds: 0 },
      videoCodec: null,
      audioCodec: null,
      audioSampleRate: null,
      audioChannels: null,
      spsSize: null,
      stats: new PublisherStats(),
      closed: false,
    };
    this.byConnection.set(session.id, p);
    this.watchPackets(p);
    session.socket.once("close", () => void this.onClosed(p));
    void this.verify(p, app, presentedKey);
  };

  /** Ends every publisher of a session (End stream from the dashboard). */
  disconnectSession(sessionId: string): void {
    for (const p of this.all()) {
      if (p.part?.sessionId === sessionId) {
        log.info("disconnecting publisher: session ended", { session: sessionId });
        p.session.socket.destroy();
      }
    }
  }

  disconnectAll(): void {
    for (const p of this.all()) p.session.socket.destroy();
  }

  private watchPackets(p: Publisher): void {
    const nmsBroadcast = p.broadcast.broadcastMessage;
    p.broadcast.broadcastMessage = (packet: NmsPacket) => {
      // Metadata still goes through NMS: it fills in the session's width, height and frame rate.
      if (packet.flags === 5) nmsBroadcast(packet);
      if (p.closed) return;
      if (packet.codec_type === 9 || packet.codec_type === 8) this.observe(p, packet);
      if (p.spool) p.spool.append(packet);
      else this.hold(p, packet);
    };
  }

  private observe(p: Publisher, packet: NmsPacket): void {
    if (p.firstMediaAt === undefined) {
      p.firstMediaAt = Date.now();
      p.firstDts = packet.dts;
    }
    p.stats.onPacket(packet);
    const body = packet.data.subarray(0, packet.size);
    if (packet.codec_type === 9) {
      if (p.observed.videoCodecId === null) {
        p.observed.enhancedVideo = (body[0] & 0x80) !== 0;
        p.observed.videoCodecId = body[0] & 0x0f;
      }
      if (packet.flags === 2 && packet.codec_id === 7) {
        p.observed.avcHeader = true;
        p.videoCodec = avcCodecFromFlvSequenceHeader(body) ?? p.videoCodec;
        p.spsSize = avcDimensionsFromFlvSequenceHeader(body) ?? p.spsSize;
      } else if (!p.videoCodec && p.observed.videoCodecId !== 7) {
        p.videoCodec = `flv-video-${p.observed.videoCodecId}`;
      }
    } else {
      if (p.observed.audioCodecId === null) p.observed.audioCodecId = body[0] >> 4;
      if (packet.flags === 0) {
        p.audioCodec = aacCodecFromFlvSequenceHeader(body) ?? p.audioCodec;
        const asc = aacConfigFromFlvSequenceHeader(body);
        if (asc) {
          p.audioSampleRate = asc.sampleRate;
          p.audioChannels = asc.channels;
        }
      } else if (!p.audioCodec) {
        p.audioCodec = `flv-audio-${p.observed.audioCodecId}`;
      }
    }
  }

  /** Before verification: keep a copy (NMS reuses the buffer), from the last keyframe on if it grows. */
  private hold(p: Publisher, packet: NmsPacket): void {
    const copy: NmsPacket = { ...packet, data: Buffer.from(packet.data.subarray(0, packet.size)) };
    if (packet.flags === 3 && p.pendingBytes > PENDING_MAX_BYTES) {
      const headers = p.pending.filter((x) => x.flags === 0 || x.flags === 2 || x.flags === 5);
      p.pending = headers;
      p.pendingBytes = headers.reduce((n, x) => n + x.size, 0);
    }
    p.pending.push(copy);
    p.pendingBytes += copy.size;
  }

  private async waitForSource(p: Publisher): Promise<{ ok: true } | { ok: false; reason: string } | null> {
    const started = Date.now();
    for (;;) {
      if (p.closed) return null;
      p.observed.waitedSeconds = (Date.now() - p.startedAt) / 1000;
      const verdict = judgeSource(p.observed, SOURCE_WAIT_SECONDS);
      // Metadata (size, frame rate) follows the sequence header within a frame or two.
      if (verdict.ok === true && (p.session.videoWidth > 0 || p.spsSize || Date.now() - started > 1500)) return verdict;
      if (verdict.ok === false) return verdict;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  private async verify(p: Publisher, app: string, key: string): Promise<void> {
    try {
      if (app !== "live") return await refuseBadKey(p.session, p.ip, "wrong application (publish to /live)");
      if (await isBlocked(p.ip)) return void p.session.socket.destroy();
      const auth = isWellFormedStreamKey(key) ? await authenticateStreamKey(key) : null;
      if (!auth) return await refuseBadKey(p.session, p.ip, "unknown, revoked or malformed stream key");
      // A valid key: this connection is no longer a stranger's (admission limits end here).
      markVerified(p.session.socket);
      const source = await this.waitForSource(p);
      if (!source) return;
      if (!source.ok) {
        log.warn("publish refused: source cannot be transcoded", { channel: auth.channelId, ip: p.ip, reason: source.reason });
        void count(COUNTER.ingestRefusals, { reason: "source" });
        await reportStreamProblem(auth.channelId, source.reason).catch(() => {});
        return void p.session.socket.destroy();
      }
      const s = p.session;
      const width = s.videoWidth || p.spsSize?.width || null;
      const height = s.videoHeight || p.spsSize?.height || null;
      p.part = await publisherConnected({
        channelId: auth.channelId,
        streamKeyId: auth.keyId,
        startedAt: new Date(p.firstMediaAt ?? Date.now()),
        timelineOffsetMs: p.firstDts ?? 0,
        media: {
          videoCodec: p.videoCodec,
          audioCodec: p.audioCodec,
          audioSampleRate: p.audioSampleRate,
          audioChannels: p.audioChannels,
          width,
          height,
          fps: s.videoFramerate || null,
        },
      });
      // Everything received so far goes into the spool, then the rest as it comes.
      const spool = this.spools.create(p.part.partId);
      for (const held of p.pending) spool.append(held);
      p.pending = [];
      p.pendingBytes = 0;
      p.spool = spool;
      if (p.closed) {
        await this.onClosed(p);
        return;
      }
      // Older connections of the same session (a reconnect racing a half-open socket) go.
      for (const other of this.all()) {
        if (other !== p && other.part?.sessionId === p.part.sessionId) other.session.socket.destroy();
      }
      // Verified: only a stalled publisher is dropped now.
      s.socket.setTimeout(30_000, () => s.socket.destroy());
      void count(COUNTER.ingestPublishes);
      log.info("publish accepted", {
        channel: auth.channelId,
        session: p.part.sessionId,
        part: p.part.partIndex,
        ip: p.ip,
        video: `${width}x${height}@${s.videoFramerate}`,
        audio: p.audioCodec ? `${p.audioCodec} ${p.audioSampleRate ?? "?"} Hz ${p.audioChannels ?? "?"} ch` : "none",
      });
    } catch (err) {
      log.error("publish failed", { ip: p.ip, error: String(err) });
      p.session.socket.destroy();
    }
  }

  private closing = new WeakSet<Publisher>();

  private async onClosed(p: Publisher): Promise<void> {
    p.closed = true;
    this.byConnection.delete(p.session.id);
    if (Context.broadcasts.get(p.broadcast.streamPath) === p.broadcast) Context.broadcasts.delete(p.broadcast.streamPath);
    // Runs once, after verification has opened the part (verify calls it again if the socket closed meanwhile).
    if (!p.part || !p.spool || this.closing.has(p)) return;
    this.closing.add(p);
    // The transcode reads the spool to its end: nothing received is lost when the publisher leaves.
    await p.spool.finish();
    await writeIngestStats(statsOf(p, true)).catch(() => {});
    try {
      const status = await publisherDropped(p.part.partId);
      log.info("publisher left", { session: p.part.sessionId, part: p.part.partIndex, status, spooledSeconds: spooledSeconds(p) });
    } catch (err) {
      log.error("could not record the publisher leaving", { session: p.part.sessionId, error: String(err) });
    }
  }
}

function spooledSeconds(p: Publisher): number | null {
  const s = p.spool;
  return s?.firstDts != null && s.lastDts != null ? Math.round((s.lastDts - s.firstDts) / 100) / 10 : null;
}

export function statsOf(p: Publisher, finished: boolean) {
  const s = p.session;
  const snapshot = p.stats.snapshot(s.inBytes);
  return {
    sessionId: p.part!.sessionId,
    partId: p.part!.partId,
    partIndex: p.part!.partIndex,
    connectedAt: p.firstMediaAt ?? p.startedAt,
    width: s.videoWidth || p.spsSize?.width || null,
    height: s.videoHeight || p.spsSize?.height || null,
    declaredFps: s.videoFramerate || null,
    videoCodec: p.videoCodec,
    audioCodec: p.audioCodec,
    ...snapshot,
    receivedMediaMs: p.spool?.lastDts ?? null,
    spoolBytes: p.spool?.bytes ?? 0,
    finished,
    updatedAt: Date.now(),
  };
}
