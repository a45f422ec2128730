// The edge's half of one viewer's offer: the RTCP handlers of its tracks, and the offer
// with its candidates (the public address written in when the host is behind 1:1 NAT).
import nodeDataChannel from "node-datachannel";
import type { PeerConnection, Track } from "node-datachannel";
import { ErrorCode, SignalingError } from "./errors.ts";

const { RtcpNackResponder, RtcpSrReporter, RtpPacketizationConfig } = nodeDataChannel;

/** One a=msid stream for both tracks → one MediaStream in the browser's ontrack. */
export const STREAM_ID = "livehouse";
export const VIDEO_MID = "0";
export const AUDIO_MID = "1";

export interface OfferCandidate {
  candidate: string;
  sdpMid: string;
  sdpMLineIndex: number;
}

/** Replace the connection-address field of a candidate line (component 5 of "candidate:…"). */
export function rewriteCandidateAddress(candidate: string, address: string): string {
  const prefix = candidate.startsWith("a=") ? "a=" : "";
  const parts = candidate.slice(prefix.length).split(" ");
  if (parts.length < 8 || !parts[0].startsWith("candidate:")) return candidate;
  parts[4] = address;
  return prefix + parts.join(" ");
}

export function attachRtcpHandlers(track: Track, ssrc: number, payloadType: number, clockRate: number, history: number): unknown[] {
  const config = new RtpPacketizationConfig(ssrc, STREAM_ID, payloadType, clockRate);
  // SR: NTP wall clock ↔ RTP timestamp of the last packet sent, once a second, per track.
  // The browser lines audio and video up with these; without them it cannot lip-sync.
  const sr = new RtcpSrReporter(config);
  // NACK: remembers the last `history` packets that went out on this track and resends
  // those the browser reports missing (same SSRC/seq, no RTX).
  const nack = new RtcpNackResponder(history);
  sr.addToChain(nack);
  track.setMediaHandler(sr);
  return [config, sr, nack];
}


/** Creates the offer and waits for host candidates (fast: no STUN/TURN servers are used). */
export function gatherOffer(pc: PeerConnection, opts: { publicIp?: string; timeoutMs: number }): Promise<{ sdp: string; candidates: OfferCandidate[] }> {
  return new Promise((resolve, reject) => {
    let sdp: string | null = null;
    const seen = new Set<string>();
    const candidates: OfferCandidate[] = [];
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (sdp === null) reject(new SignalingError(ErrorCode.Internal, "could not create an offer"));
      else if (candidates.length === 0) reject(new SignalingError(ErrorCode.Unavailable, "no ICE candidates gathered"));
      else resolve({ sdp, candidates });
    };
    const timer = setTimeout(finish, opts.timeoutMs);
    pc.onLocalDescription((desc, type) => {
      if (type.toLowerCase() === "offer") sdp = opts.publicIp ? rewriteSdpCandidates(desc, opts.publicIp) : desc;
    });
    pc.onLocalCandidate((candidate, mid) => {
      let c = candidate.startsWith("a=") ? candidate.slice(2) : candidate;
      if (opts.publicIp && / typ host/.test(c)) c = rewriteCandidateAddress(c, opts.publicIp);
      // With a public address every interface's host candidate collapses to the same one.
      const f = c.split(" ");
      const key = `${f[2]} ${f[4]} ${f[5]}`.toLowerCase(); // transport, address, port
      if (seen.has(key)) return;
      seen.add(key);
      candidates.push({ candidate: c, sdpMid: mid, sdpMLineIndex: mid === AUDIO_MID ? 1 : 0 });
    });
    pc.onGatheringStateChange((state) => {
      if (state === "complete") setImmediate(finish);
    });
    try {
      pc.setLocalDescription("offer");
    } catch (e) {
      done = true;
      clearTimeout(timer);
      reject(new SignalingError(ErrorCode.Internal, `offer failed: ${(e as Error).message}`));
    }
  });
}

function rewriteSdpCandidates(sdp: string, publicIp: string): string {
  return sdp
    .split(/\r?\n/)
    .map((l) => (l.startsWith("a=candidate:") && / typ host/.test(l) ? rewriteCandidateAddress(l, publicIp) : l))
    .join("\r\n");
}
