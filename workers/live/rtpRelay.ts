// A worker's RTP relay: its live ffmpegs send their WebRTC rendition to this one
// loopback UDP port, and the relay passes every packet on to every running edge
// (lib/webrtc/edges.ts). ffmpeg's outputs are fixed when it starts, edges are not: an
// edge started, restarted or scaled out during a stream gets it within a heartbeat,
// without touching the transcode. RTCP sender reports are dropped here (the edges'
// libdatachannel writes its own for each viewer).
import dgram from "node:dgram";
import { lookup } from "node:dns/promises";
import net from "node:net";
import { liveEdges, EDGE_HEARTBEAT_MS, type EdgeAnnouncement } from "../../lib/webrtc/edges.ts";
import { logger } from "../../lib/log.ts";
import { isRtcp } from "../../lib/webrtc/rtpSources.ts";

const log = logger("rtp-relay");

export class RtpRelay {
  private targets: { host: string; port: number }[] = [];
  private refreshing: NodeJS.Timeout | null = null;
  private lastTargets = "";

  private constructor(private readonly socket: dgram.Socket, private readonly edges: () => Promise<EdgeAnnouncement[]>) {
    socket.on("message", (packet) => this.relay(packet));
  }

  static async start(edges: () => Promise<EdgeAnnouncement[]> = () => liveEdges()): Promise<RtpRelay> {
    const socket = dgram.createSocket({ type: "udp4", recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(0, "127.0.0.1", () => {
        socket.off("error", reject);
        // A send to an edge that just went away must not take the relay down.
        socket.on("error", () => {});
        resolve();
      });
    });
    const relay = new RtpRelay(socket, edges);
    await relay.refresh();
    relay.refreshing = setInterval(() => void relay.refresh(), EDGE_HEARTBEAT_MS);
    relay.refreshing.unref();
    return relay;
  }

  /** Where ffmpeg sends its RTP (and, through `rtcpport`, its RTCP). */
  get address(): { host: string; port: number } {
    return { host: "127.0.0.1", port: this.socket.address().port };
  }

  async refresh(): Promise<void> {
    try {
      const edges = await this.edges();
      // Names resolved here, once per refresh: a name given to send() is looked up per packet.
      const targets = await Promise.all(
        edges.map(async (e) => ({ host: net.isIPv4(e.rtp.host) ? e.rtp.host : (await lookup(e.rtp.host, { family: 4 }).catch(() => null))?.address, port: e.rtp.port })),
      );
      this.targets = targets.filter((t): t is { host: string; port: number } => Boolean(t.host));
      const names = edges.map((e) => e.id).join(",");
      if (names !== this.lastTargets) log.info("edges", { edges: names || "(none)" });
      this.lastTargets = names;
    } catch {
      // Redis away for a moment: keep sending where we sent.
    }
  }

  private relay(packet: Buffer): void {
    if (isRtcp(packet)) return;
    for (const t of this.targets) this.socket.send(packet, t.port, t.host);
  }

  close(): void {
    if (this.refreshing) clearInterval(this.refreshing);
    this.socket.close();
  }
}

let shared: Promise<RtpRelay> | null = null;

/** The worker process's relay, started by the first transcode that has a WebRTC rendition. */
export function workerRtpRelay(): Promise<RtpRelay> {
  shared ??= RtpRelay.start().catch((e) => {
    shared = null;
    throw e;
  });
  return shared;
}
