// OvenMediaEngine-style WebSocket signaling, server side, as OvenPlayer 0.10.54 speaks it
// (node_modules/ovenplayer/src/js/api/provider/html5/providers/WebRTCLoader.js):
//   player → {command:"request_offer"}
//   edge   → {command:"offer", id, peer_id:0, sdp:{type:"offer",sdp}, candidates:[{candidate,sdpMLineIndex}]}
//   player → {id, peer_id, command:"answer", sdp:{type:"answer",sdp}}
//   player → {id, peer_id, command:"candidate", candidates:[RTCIceCandidateInit…]}
//   player → {command:"stop", id}          either side may send {command:"ping"} / {command:"pong"}
//   edge   → {command:"stop", id, peer_id:0}   (the player closes its connection and sends
//             request_offer again; sent when a connection fails while being set up)
//   edge   → {error, code}   (the player tears down WebRTC and moves to its next source, e.g. HLS)
// The edge offers, the browser answers: no transceiver negotiation on our side, and the
// offer can carry the SSRCs the fanout will stamp on this viewer's packets.
import { randomInt } from "node:crypto";
import type { IncomingMessage, Server } from "node:http";
import nodeDataChannel from "node-datachannel";
import type { PeerConnection, RtcConfig, Track } from "node-datachannel";
import { WebSocketServer, type WebSocket } from "ws";
import { RTP_PAYLOAD_TYPE } from "../lib/webrtc/rtpSources.ts";
import type { Fanout, Viewer } from "./fanout.ts";
import { ErrorCode, SignalingError } from "./errors.ts";
import { retainUntilClosed } from "./nativeTracks.ts";
import { AUDIO_MID, attachRtcpHandlers, gatherOffer, STREAM_ID, VIDEO_MID } from "./offer.ts";

const { Audio, PeerConnection: PC, Video } = nodeDataChannel;

export const VIDEO_PT = RTP_PAYLOAD_TYPE.video;
export const AUDIO_PT = RTP_PAYLOAD_TYPE.audio;
export const H264_FMTP = "packetization-mode=1;profile-level-id=42e01f;level-asymmetry-allowed=1";

/** What a signaling connection plays: its session's fanout, or a refusal sent as {error, code}. */
export interface Resolved {
  fanout: Fanout;
  /** Called every few seconds while the peer is connected (viewer counting). */
  heartbeat?: () => void;
}

export interface ConnectionInfo {
  /** The request path and query, e.g. /ws/demo?viewer=abc. */
  url: string;
  clientAddress: string;
}

export interface SignalingOptions {
  /** Finds what this connection may play at request_offer time; throw SignalingError to refuse. */
  resolve: (c: ConnectionInfo) => Promise<Resolved>;
  /** The client's address for limits: the socket's, or a trusted proxy's header. */
  clientAddress?: (req: IncomingMessage) => string;
  maxPeersPerAddress?: number;
  /** Standalone WebSocket port; ignored when `server` is given. */
  port?: number;
  host?: string;
  /** Attach to an existing HTTP server instead (upgrade on any path). */
  server?: Server;
  /** The one UDP port every peer's ICE/DTLS/SRTP uses (libjuice UDP mux). */
  iceUdpPort: number;
  /** Local address the mux socket binds to (libjuice only); default all interfaces. */
  bindAddress?: string;
  /** Address to advertise in host candidates instead of the local one (1:1 NAT). */
  publicIp?: string;
  maxMessageBytes?: number;
  maxViewers?: number;
  /** Packets kept per track for NACK retransmission. */
  videoHistory?: number;
  audioHistory?: number;
  gatherTimeoutMs?: number;
  log?: (msg: string) => void;
}

interface EdgePeer {
  id: number;
  address: string;
  fanout: Fanout;
  pc: PeerConnection;
  video: Track;
  audio: Track;
  viewer: Viewer | null;
  /** Native handlers are owned by the track, but keep the JS wrappers reachable too. */
  handlers: unknown[];
  closed: boolean;
  /** Reached "connected" at least once. */
  connected: boolean;
  rtcpIn: { pli: number; nack: number; rr: number };
  stopHeartbeat?: () => void;
}

/**
 * Set-up failures a socket gets a fresh offer for before the player is sent to HLS. Under
 * load, libdatachannel (0.24.5, and its main branch) can check the browser's DTLS
 * certificate before it has stored the answer it was given: ICE connects inside
 * setRemoteDescription, the fingerprint check finds no remote description and the
 * handshake fails ("unknown CA"). A second attempt almost always gets through.
 */
export const SETUP_RETRIES = 2;

export class SignalingServer {
  private readonly wss: WebSocketServer;
  private nextPeerId = 1;
  private readonly peers = new Set<EdgePeer>();
  private readonly socketsPerAddress = new Map<string, number>();
  private readonly log: (msg: string) => void;
  readonly maxMessageBytes: number;

  constructor(private readonly opts: SignalingOptions) {
    this.log = opts.log ?? ((m) => console.log(`[signaling] ${m}`));
    this.maxMessageBytes = opts.maxMessageBytes ?? 64 * 1024;
    // ws enforces a hard cap (closing with 1009) well above ours, so that messages between
    // the two get a readable {error} instead of a bare close.
    const maxPayload = this.maxMessageBytes * 4;
    this.wss = opts.server
      ? new WebSocketServer({ server: opts.server, maxPayload })
      : new WebSocketServer({ port: opts.port ?? 0, host: opts.host, maxPayload });
    this.wss.on("connection", (ws, req) => this.onConnection(ws, req));
  }

  listening(): Promise<number> {
    return new Promise((resolve) => {
      const addr = () => {
        const a = this.wss.address();
        resolve(typeof a === "object" && a ? a.port : 0);
      };
      if (this.opts.server) resolve(0);
      else if (this.wss.address()) addr();
      else this.wss.once("listening", addr);
    });
  }

  get peerCount(): number {
    return this.peers.size;
  }

  peerStats() {
    return [...this.peers].map((p) => ({ id: p.id, state: p.pc.state(), rtcpIn: p.rtcpIn, bytesSent: p.pc.bytesSent() }));
  }

  close(): void {
    for (const p of [...this.peers]) this.closePeer(p);
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }

  private rtcConfig(): RtcConfig {
    return {
      iceServers: [],
      // libjuice "mux" concurrency mode: every agent whose port range contains an already
      // bound mux port shares that socket; incoming STUN is routed by ICE ufrag and then by
      // remote address. begin == end pins the one port.
      enableIceUdpMux: true,
      portRangeBegin: this.opts.iceUdpPort,
      portRangeEnd: this.opts.iceUdpPort,
      ...(this.opts.bindAddress ? { bindAddress: this.opts.bindAddress } : {}),
    };
  }

  private peersOf(address: string): number {
    let n = 0;
    for (const p of this.peers) if (p.address === address) n++;
    return n;
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    let peer: EdgePeer | null = null;
    const remote = this.opts.clientAddress?.(req) ?? req.socket.remoteAddress ?? "unknown";
    const info: ConnectionInfo = { url: req.url ?? "/", clientAddress: remote };
    // Sockets without a peer cost little, but not nothing: twice the peer limit per address.
    const open = (this.socketsPerAddress.get(remote) ?? 0) + 1;
    this.socketsPerAddress.set(remote, open);
    ws.once("close", () => {
      const n = (this.socketsPerAddress.get(remote) ?? 1) - 1;
      if (n <= 0) this.socketsPerAddress.delete(remote);
      else this.socketsPerAddress.set(remote, n);
    });
    if (open > 2 * (this.opts.maxPeersPerAddress ?? 32)) {
      ws.send(JSON.stringify({ error: "too many connections from your address", code: ErrorCode.Unavailable }));
      ws.close(1008, "too many connections");
      return;
    }
    const send = (msg: object) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
    };
    const fail = (e: unknown) => {
      const err = e instanceof SignalingError ? e : new SignalingError(ErrorCode.Internal, "internal error");
      if (!(e instanceof SignalingError)) this.log(`internal error for ${remote}: ${(e as Error)?.message ?? e}`);
      send({ error: err.message, code: err.code });
    };
    const dropPeer = () => {
      if (peer) this.closePeer(peer);
      peer = null;
    };
    let setupFailures = 0;
    const onPeerGone = (gone: EdgePeer, setupFailed: boolean) => {
      if (peer !== gone) return;
      peer = null;
      if (!setupFailed) return;
      if (++setupFailures <= SETUP_RETRIES) {
        this.log(`peer ${gone.id}: failed while connecting; the player is asked to start again (${setupFailures}/${SETUP_RETRIES})`);
        send({ command: "stop", id: gone.id, peer_id: 0 });
      } else {
        this.log(`peer ${gone.id}: failed while connecting, ${setupFailures} times on this socket; the player is sent to the standard stream`);
        send({ error: "could not set up a low-latency connection; playing the standard stream", code: ErrorCode.Unavailable });
      }
    };

    ws.on("message", async (data, isBinary) => {
      try {
        const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : (data as Buffer | ArrayBuffer).byteLength;
        if (size > this.maxMessageBytes) throw new SignalingError(ErrorCode.TooLarge, `message larger than ${this.maxMessageBytes} bytes`);
        if (isBinary) throw new SignalingError(ErrorCode.BadRequest, "binary messages are not supported");
        let msg: unknown;
        try {
          msg = JSON.parse(data.toString());
        } catch {
          throw new SignalingError(ErrorCode.BadRequest, "message is not valid JSON");
        }
        if (typeof msg !== "object" || msg === null || Array.isArray(msg)) throw new SignalingError(ErrorCode.BadRequest, "message must be a JSON object");
        const m = msg as Record<string, unknown>;
        switch (m.command) {
          case "request_offer": {
            dropPeer(); // OvenPlayer re-requests after a stop; one peer per socket
            const max = this.opts.maxViewers ?? 500;
            if (this.peers.size >= max) throw new SignalingError(ErrorCode.Unavailable, "this server has as many low-latency viewers as it takes; playing the standard stream");
            if (this.peersOf(remote) >= (this.opts.maxPeersPerAddress ?? 32)) throw new SignalingError(ErrorCode.Unavailable, "too many low-latency connections from your address");
            const resolved = await this.opts.resolve(info);
            if (ws.readyState !== ws.OPEN) return;
            const created = this.createPeer(resolved, remote, (setupFailed) => onPeerGone(created, setupFailed));
            peer = created;
            const offer = await gatherOffer(created.pc, { publicIp: this.opts.publicIp, timeoutMs: this.opts.gatherTimeoutMs ?? 3000 });
            if (peer !== created || created.closed) return; // stopped or replaced meanwhile
            send({ command: "offer", id: created.id, peer_id: 0, sdp: { type: "offer", sdp: offer.sdp }, candidates: offer.candidates });
            return;
          }
          case "answer": {
            const p = this.peerFor(peer, m);
            const sdp = m.sdp as Record<string, unknown> | undefined;
            if (!sdp || sdp.type !== "answer" || typeof sdp.sdp !== "string") throw new SignalingError(ErrorCode.BadRequest, "answer needs sdp:{type:'answer',sdp}");
            if (p.pc.signalingState() !== "have-local-offer") throw new SignalingError(ErrorCode.BadRequest, "no offer is waiting for an answer");
            try {
              p.pc.setRemoteDescription(sdp.sdp, "answer");
            } catch (e) {
              throw new SignalingError(ErrorCode.BadRequest, `answer rejected: ${(e as Error).message}`);
            }
            return;
          }
          case "candidate": {
            const p = this.peerFor(peer, m);
            if (!Array.isArray(m.candidates)) throw new SignalingError(ErrorCode.BadRequest, "candidate needs candidates:[…]");
            for (const c of m.candidates.slice(0, 32)) this.addRemoteCandidate(p, c);
            return;
          }
          case "stop": {
            if (peer && (m.id === undefined || m.id === peer.id)) dropPeer();
            return;
          }
          case "ping":
            send({ command: "pong" });
            return;
          case "pong":
            return;
          default:
            throw new SignalingError(ErrorCode.BadRequest, typeof m.command === "string" ? `unknown command '${m.command.slice(0, 40)}'` : "missing command");
        }
      } catch (e) {
        fail(e);
      }
    });
    ws.on("close", dropPeer);
    ws.on("error", (e) => this.log(`ws error from ${remote}: ${e.message}`));
  }

  private peerFor(peer: EdgePeer | null, m: Record<string, unknown>): EdgePeer {
    if (!peer) throw new SignalingError(ErrorCode.NotFound, "no connection; send request_offer first");
    if (m.id !== peer.id) throw new SignalingError(ErrorCode.NotFound, `unknown connection id ${JSON.stringify(m.id)?.slice(0, 20)}`);
    return peer;
  }

  private addRemoteCandidate(p: EdgePeer, c: unknown): void {
    if (!c || typeof c !== "object") return;
    const { candidate, sdpMid, sdpMLineIndex } = c as Record<string, unknown>;
    if (typeof candidate !== "string" || candidate === "") return; // "" is end-of-candidates
    if (candidate.length > 1024) throw new SignalingError(ErrorCode.BadRequest, "candidate too long");
    const mid = typeof sdpMid === "string" ? sdpMid : sdpMLineIndex === 1 ? AUDIO_MID : VIDEO_MID;
    try {
      p.pc.addRemoteCandidate(candidate, mid);
    } catch (e) {
      // mDNS (.local) host candidates cannot be resolved by libjuice; the browser's checks
      // still reach us and become peer-reflexive candidates, so this is not fatal.
      this.log(`peer ${p.id}: ignored candidate (${(e as Error).message})`);
    }
  }

  /** `onClosed(setupFailed)`: setupFailed when the connection failed before it ever connected. */
  private createPeer(resolved: Resolved, address: string, onClosed: (setupFailed: boolean) => void): EdgePeer {
    const id = this.nextPeerId++;
    const pc = new PC(`edge-${id}`, this.rtcConfig());
    const videoSsrc = randomInt(1, 0xffffffff);
    let audioSsrc = randomInt(1, 0xffffffff);
    if (audioSsrc === videoSsrc) audioSsrc ^= 1;

    const video = new Video(VIDEO_MID, "SendOnly");
    video.addH264Codec(VIDEO_PT, H264_FMTP);
    video.addSSRC(videoSsrc, STREAM_ID, STREAM_ID, "video");
    const audio = new Audio(AUDIO_MID, "SendOnly");
    audio.addOpusCodec(AUDIO_PT);
    audio.addSSRC(audioSsrc, STREAM_ID, STREAM_ID, "audio");

    const videoTrack = retainUntilClosed(pc.addTrack(video));
    const audioTrack = retainUntilClosed(pc.addTrack(audio));
    const peer: EdgePeer = {
      id,
      address,
      fanout: resolved.fanout,
      pc,
      video: videoTrack,
      audio: audioTrack,
      viewer: null,
      handlers: [
        ...attachRtcpHandlers(videoTrack, videoSsrc, VIDEO_PT, 90000, this.opts.videoHistory ?? 512),
        ...attachRtcpHandlers(audioTrack, audioSsrc, AUDIO_PT, 48000, this.opts.audioHistory ?? 64),
      ],
      closed: false,
      connected: false,
      rtcpIn: { pli: 0, nack: 0, rr: 0 },
    };
    // RTCP from the browser still reaches JS after the handlers have seen it: count it.
    const countRtcp = (msg: Buffer) => {
      for (let p = 0; p + 4 <= msg.length; ) {
        const pt = msg[p + 1], fmt = msg[p] & 0x1f;
        if (pt === 206 && fmt === 1) peer.rtcpIn.pli++;
        else if (pt === 205 && fmt === 1) peer.rtcpIn.nack++;
        else if (pt === 201) peer.rtcpIn.rr++;
        p += (msg.readUInt16BE(p + 2) + 1) * 4;
      }
    };
    videoTrack.onMessage(countRtcp);
    audioTrack.onMessage(countRtcp);

    peer.viewer = resolved.fanout.addViewer(
      { sink: videoTrack, ssrc: videoSsrc, payloadType: VIDEO_PT },
      { sink: audioTrack, ssrc: audioSsrc, payloadType: AUDIO_PT },
    );
    let disconnectTimer: NodeJS.Timeout | undefined;
    let heartbeat: NodeJS.Timeout | undefined;
    peer.stopHeartbeat = () => clearInterval(heartbeat);
    pc.onStateChange((state) => {
      this.log(`peer ${id}: ${state}`);
      clearTimeout(disconnectTimer);
      if (state === "connected") peer.connected = true;
      if (state === "connected" && resolved.heartbeat && !heartbeat) {
        resolved.heartbeat();
        heartbeat = setInterval(resolved.heartbeat, 5000);
      }
      if (state === "failed" || state === "closed") {
        const setupFailed = state === "failed" && !peer.connected && !peer.closed;
        this.closePeer(peer);
        onClosed(setupFailed);
      } else if (state === "disconnected") {
        // Consent freshness may recover (network blip); give it a moment before dropping.
        disconnectTimer = setTimeout(() => {
          this.closePeer(peer);
          onClosed(false);
        }, 10_000);
      }
    });
    this.peers.add(peer);
    return peer;
  }

  private closePeer(peer: EdgePeer): void {
    if (peer.closed) return;
    peer.closed = true;
    peer.stopHeartbeat?.();
    if (peer.viewer) peer.fanout.removeViewer(peer.viewer);
    this.peers.delete(peer);
    try {
      peer.pc.close();
    } catch {
      /* already closed */
    }
  }
}
