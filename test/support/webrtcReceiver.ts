// A headless WebRTC viewer for tests and benchmarks: OvenPlayer's half of the edge's
// signaling, done with node-datachannel (real ICE, DTLS and SRTP), counting the RTP that
// arrives: packets, keyframes, losses, SSRCs and timestamp steps.
import nodeDataChannel from "node-datachannel";
import type { PeerConnection, Track } from "node-datachannel";
import WebSocket from "ws";
import { retainUntilClosed } from "../../edge/nativeTracks.ts";
import { h264StartsKeyframe, isRtcp, parseRtpHeader, seqDelta, tsDelta } from "../../edge/rtp.ts";

interface StreamCount {
  packets: number;
  bytes: number;
  ssrcs: Set<number>;
  lost: number; // sum of forward seq gaps
  reordered: number;
  tsBackwards: number;
  lastSeq: number | null;
  lastTs: number | null;
  rtcp: number;
  maxTsJump: number; // largest forward timestamp step, in clock ticks
}

export interface ReceiverStats {
  state: string;
  video: StreamCount;
  audio: StreamCount;
  keyframes: number;
  errors: string[];
  /** Times the edge sent {command:"stop"} and this receiver asked for a new offer, as OvenPlayer does. */
  restarts: number;
}

const newCount = (): StreamCount => ({ packets: 0, bytes: 0, ssrcs: new Set(), lost: 0, reordered: 0, tsBackwards: 0, lastSeq: null, lastTs: null, rtcp: 0, maxTsJump: 0 });

function count(c: StreamCount, msg: Buffer): boolean {
  if (isRtcp(msg)) {
    c.rtcp++;
    return false;
  }
  const h = parseRtpHeader(msg);
  if (!h) return false;
  c.packets++;
  c.bytes += msg.length;
  c.ssrcs.add(h.ssrc);
  if (c.lastSeq !== null) {
    const d = seqDelta(c.lastSeq, h.sequenceNumber);
    if (d > 1) c.lost += d - 1;
    if (d <= 0) c.reordered++;
    if (d > 0) {
      const dt = tsDelta(c.lastTs!, h.timestamp);
      if (dt < 0) c.tsBackwards++;
      if (dt > c.maxTsJump) c.maxTsJump = dt;
      c.lastSeq = h.sequenceNumber;
      c.lastTs = h.timestamp;
    }
  } else {
    c.lastSeq = h.sequenceNumber;
    c.lastTs = h.timestamp;
  }
  return true;
}

export interface ReceiverOptions {
  /** Changes the SDP of the nth answer sent (0 first): a test's way to make a set-up fail. */
  tamperAnswer?: (sdp: string, n: number) => string;
}

export function startReceiver(url: string, name: string, opts: ReceiverOptions = {}): { stats: ReceiverStats; close: () => void } {
  const stats: ReceiverStats = { state: "new", video: newCount(), audio: newCount(), keyframes: 0, errors: [], restarts: 0 };
  const ws = new WebSocket(url);
  let pc: PeerConnection | null = null;
  let tracks: Track[] = [];
  let lastKeyframeTs = -1;
  let answers = 0;
  // Closing the peer connection closes its tracks; closing each track first as well, for
  // 200 receivers in a row, crashed the bench process (SIGSEGV in node-datachannel).
  const closePc = () => {
    pc?.close();
    tracks = [];
    pc = null;
  };
  ws.on("open", () => ws.send(JSON.stringify({ command: "request_offer" })));
  let closed = false;
  ws.on("message", (data) => {
    // A message still in flight when the test closed this receiver (an offer) must not
    // open a new connection that nobody closes.
    if (closed) return;
    const m = JSON.parse(data.toString());
    if (m.error) {
      stats.errors.push(`${m.code}: ${m.error}`);
      return;
    }
    if (m.command === "ping") return ws.send(JSON.stringify({ command: "pong" }));
    if (m.command === "stop" && m.peer_id === 0) {
      // What OvenPlayer does: close the connection and ask for a new offer. The failed one
      // never connected, so nothing it counted is kept.
      closePc();
      stats.restarts++;
      stats.state = "new";
      stats.video = newCount();
      stats.audio = newCount();
      stats.keyframes = 0;
      ws.send(JSON.stringify({ command: "request_offer" }));
      return;
    }
    if (m.command !== "offer") return;
    closePc();
    const own = (pc = new nodeDataChannel.PeerConnection(name, { iceServers: [] }));
    const mids = [...m.sdp.sdp.matchAll(/^a=mid:(\S+)/gm)].map((x: RegExpMatchArray) => x[1]);
    pc.onStateChange((s) => {
      if (pc === own) stats.state = s;
    });
    pc.onTrack((track) => {
      tracks.push(retainUntilClosed(track));
      const kind = track.type() === "video" ? "video" : "audio";
      track.onMessage((msg) => {
        const c = kind === "video" ? stats.video : stats.audio;
        // One keyframe = one access unit: its SPS, PPS and IDR slices share a timestamp.
        if (count(c, msg) && kind === "video" && h264StartsKeyframe(msg)) {
          const ts = msg.readUInt32BE(4);
          if (ts !== lastKeyframeTs) stats.keyframes++;
          lastKeyframeTs = ts;
        }
      });
    });
    pc.onLocalDescription((description, type) => {
      const sdp = opts.tamperAnswer ? opts.tamperAnswer(description, answers) : description;
      answers++;
      ws.send(JSON.stringify({ id: m.id, peer_id: m.peer_id, command: "answer", sdp: { type: type.toLowerCase(), sdp } }));
    });
    pc.onLocalCandidate((candidate, mid) => {
      if (pc !== own) return; // a connection the edge already gave up on
      ws.send(JSON.stringify({ id: m.id, peer_id: m.peer_id, command: "candidate", candidates: [{ candidate, sdpMid: mid, sdpMLineIndex: Math.max(0, mids.indexOf(mid)) }] }));
    });
    pc.setRemoteDescription(m.sdp.sdp, "offer");
    for (const c of m.candidates ?? []) pc.addRemoteCandidate(c.candidate, c.sdpMid ?? mids[c.sdpMLineIndex ?? 0]);
  });
  ws.on("error", (e) => stats.errors.push(`ws: ${e.message}`));
  return {
    stats,
    close: () => {
      closed = true;
      closePc();
      ws.close();
    },
  };
}

export function summarize(s: ReceiverStats) {
  const c = (x: StreamCount) => ({ packets: x.packets, ssrcs: x.ssrcs.size, lost: x.lost, reordered: x.reordered, tsBackwards: x.tsBackwards, rtcp: x.rtcp, maxTsJump: x.maxTsJump });
  return { state: s.state, keyframes: s.keyframes, video: c(s.video), audio: c(s.audio), errors: s.errors };
}
