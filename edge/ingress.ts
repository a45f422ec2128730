// The edge's RTP input: one UDP port for every live session's WebRTC tracks, as the
// workers' relays send them. Packets are told apart by SSRC; an SSRC seen for the
// first time is looked up in the registry the worker wrote before starting ffmpeg
// (lib/webrtc/rtpSources.ts), once, and unknown or unregistered senders are dropped,
// as is RTCP.
import dgram from "node:dgram";
import { isRtcp, lookupRtpSource, type RtpSourceInfo } from "../lib/webrtc/rtpSources.ts";
import { parseRtpHeader } from "./rtp.ts";
import type { Kind } from "./fanout.ts";

export type PacketHandler = (source: RtpSourceInfo, kind: Kind, packet: Buffer) => void;

/** An SSRC nobody registered is asked about again only after this long. */
const UNKNOWN_RETRY_MS = 2000;

export class RtpIngress {
  private socket: dgram.Socket | null = null;
  private readonly routes = new Map<number, RtpSourceInfo>();
  private readonly unknown = new Map<number, number>();
  private readonly pending = new Set<number>();
  dropped = 0;

  constructor(private readonly onPacket: PacketHandler, private readonly lookup = lookupRtpSource) {}

  async start(port: number, host: string): Promise<number> {
    this.socket = await bind(port, host, (b) => this.receive(b));
    return this.socket.address().port;
  }

  close(): void {
    this.socket?.close();
    this.socket = null;
  }

  /** Forgets the routes of a session the edge has let go of. */
  forgetSession(sessionId: string): void {
    for (const [ssrc, r] of this.routes) if (r.sessionId === sessionId) this.routes.delete(ssrc);
  }

  private receive(packet: Buffer): void {
    const h = isRtcp(packet) ? null : parseRtpHeader(packet);
    if (!h) {
      this.dropped++;
      return;
    }
    const route = this.routes.get(h.ssrc);
    if (route) {
      this.onPacket(route, route.kind, packet);
      return;
    }
    this.dropped++;
    const retryAt = this.unknown.get(h.ssrc);
    if (this.pending.has(h.ssrc) || (retryAt && retryAt > performance.now())) return;
    this.pending.add(h.ssrc);
    this.lookup(h.ssrc)
      .then((info) => {
        if (info) this.routes.set(h.ssrc, info);
        else {
          this.unknown.set(h.ssrc, performance.now() + UNKNOWN_RETRY_MS);
          if (this.unknown.size > 10_000) this.unknown.clear();
        }
      })
      .catch(() => this.unknown.set(h.ssrc, performance.now() + UNKNOWN_RETRY_MS))
      .finally(() => this.pending.delete(h.ssrc));
  }
}

function bind(port: number, host: string, onMessage: (b: Buffer) => void): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket({ type: host.includes(":") ? "udp6" : "udp4", recvBufferSize: 4 << 20 });
    s.once("error", reject);
    s.on("message", onMessage);
    s.bind(port, host, () => {
      s.off("error", reject);
      s.on("error", () => {});
      resolve(s);
    });
  });
}
