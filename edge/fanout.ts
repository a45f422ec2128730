// One live session's RTP (its video and audio tracks, as the ingress hands them over)
// fanned out to many viewers. Each viewer sees its own SSRC with gap-free sequence numbers and
// monotonically advancing timestamps, so neither joining mid-stream nor a publisher restart
// (new SSRC, new random seq/timestamp bases) looks like a discontinuity to the browser.
import { randomInt } from "node:crypto";
import { h264StartsKeyframe, parseRtpHeader, rewriteRtpHeader, seqDelta, tsDelta, type RtpHeader } from "./rtp.ts";

/** What the fanout needs of an outgoing track; node-datachannel's Track satisfies it. */
export interface RtpSink {
  isOpen(): boolean;
  sendMessageBinary(packet: Buffer): boolean;
}

export type Kind = "video" | "audio";

export interface ViewerOutput {
  sink: RtpSink;
  /** SSRC announced in this viewer's SDP. */
  ssrc: number;
  /** Payload type negotiated with this viewer. */
  payloadType: number;
}

export interface FanoutOptions {
  videoClockRate?: number;
  audioClockRate?: number;
}

// Larger jumps than these inside one SSRC mean the publisher restarted with a fixed SSRC.
const MAX_SEQ_JUMP = 3000;
const MAX_TS_JUMP_SECONDS = 10;

// A transcode that resumes from the spool (after a takeover or a retry) first reads its
// backlog faster than real time. A viewer started inside that burst would play it at
// media pace and stay that far behind live for good, so viewers start (or restart) only
// on a source that has been arriving at about real time for PACED_WINDOW_MS.
const PACED_WINDOW_MS = 500;
const PACED_MAX_RATE = 1.15;
const SAMPLE_EVERY_MS = 100;

/** Per stream: which publisher "epoch" we are in; bumped on any discontinuity. */
class SourceState {
  epoch = 0;
  ssrc: number | null = null;
  lastSeq = 0;
  lastTs = 0;
  packets = 0;
  restarts = 0;
  /** (arrival, RTP timestamp) every SAMPLE_EVERY_MS of this epoch, the last 2 s of them. */
  private samples: { at: number; ts: number }[] = [];
  constructor(readonly clockRate: number) {}

  /** Media arrives at about real time (true), faster (false), or too recently to tell (null). */
  paced(now: number): boolean | null {
    let ref: { at: number; ts: number } | undefined;
    for (const s of this.samples) if (now - s.at >= PACED_WINDOW_MS) ref = s;
    if (!ref) return null;
    const media = tsDelta(ref.ts, this.lastTs) / this.clockRate;
    return media <= ((now - ref.at) / 1000) * PACED_MAX_RATE;
  }

  private sample(now: number): void {
    const last = this.samples[this.samples.length - 1];
    if (last && now - last.at < SAMPLE_EVERY_MS) return;
    this.samples.push({ at: now, ts: this.lastTs });
    while (this.samples.length > 2 && now - this.samples[1].at > 2000) this.samples.shift();
  }

  observe(h: RtpHeader, now = performance.now()): void {
    this.packets++;
    const jumped = this.ssrc !== null && (
      Math.abs(seqDelta(this.lastSeq, h.sequenceNumber)) > MAX_SEQ_JUMP ||
      Math.abs(tsDelta(this.lastTs, h.timestamp)) > MAX_TS_JUMP_SECONDS * this.clockRate);
    if (this.ssrc !== h.ssrc || jumped) {
      if (this.ssrc !== null) this.restarts++;
      this.epoch++;
      this.ssrc = h.ssrc;
      this.lastSeq = h.sequenceNumber;
      this.lastTs = h.timestamp;
      this.samples = [];
      this.sample(now);
      return;
    }
    if (seqDelta(this.lastSeq, h.sequenceNumber) > 0) {
      this.lastSeq = h.sequenceNumber;
      this.lastTs = h.timestamp;
    }
    this.sample(now);
  }
}

/** Maps one source epoch onto one viewer's continuous output numbering. */
class OutputState {
  epoch = -1;
  seqOffset = 0;
  tsOffset = 0;
  lastSeq: number;
  lastTs: number;
  lastSentAt = 0; // ms, monotonic
  sent = 0;
  constructor(readonly out: ViewerOutput, readonly clockRate: number) {
    // Random bases, as RFC 3550 asks, so outputs are not predictable from the source.
    this.lastSeq = randomInt(0x10000);
    this.lastTs = randomInt(0x100000000);
  }

  /** Re-anchor so the next packet follows the last one sent, `elapsed` wall-clock later. */
  resync(epoch: number, h: RtpHeader, now: number): void {
    const elapsed = this.sent === 0 ? 0 : Math.max(1, Math.round(((now - this.lastSentAt) * this.clockRate) / 1000));
    this.seqOffset = (this.lastSeq + 1 - h.sequenceNumber) & 0xffff;
    this.tsOffset = (this.lastTs + elapsed - h.timestamp) >>> 0;
    this.epoch = epoch;
  }

  send(packet: Buffer, h: RtpHeader, now: number): boolean {
    const seq = (h.sequenceNumber + this.seqOffset) & 0xffff;
    const ts = (h.timestamp + this.tsOffset) >>> 0;
    rewriteRtpHeader(packet, { sequenceNumber: seq, timestamp: ts, ssrc: this.out.ssrc, payloadType: this.out.payloadType });
    // Reordered (older) packets keep their place but must not move the anchor backwards.
    if (this.sent === 0 || seqDelta(this.lastSeq, seq) > 0) {
      this.lastSeq = seq;
      this.lastTs = ts;
      this.lastSentAt = now;
    }
    this.sent++;
    // node-datachannel copies the bytes synchronously, so one buffer serves all viewers.
    return this.out.sink.sendMessageBinary(packet);
  }
}

export interface ViewerStats {
  id: number;
  started: boolean;
  videoSent: number;
  audioSent: number;
  sendErrors: number;
}

export class Viewer {
  /** False until the first keyframe after joining, and again after a publisher restart. */
  videoStarted = false;
  sendErrors = 0;
  readonly video: OutputState;
  readonly audio: OutputState;
  constructor(readonly id: number, video: ViewerOutput, audio: ViewerOutput, videoClock: number, audioClock: number) {
    this.video = new OutputState(video, videoClock);
    this.audio = new OutputState(audio, audioClock);
  }

  private opened = false;

  /**
   * Both tracks are open. Asked once per packet per viewer until true, then remembered:
   * tracks never reopen, a closed peer's viewer is removed, and each isOpen() is a native
   * call (two of them were ~5 % of the edge's CPU at 200 viewers).
   */
  get ready(): boolean {
    if (!this.opened) this.opened = this.video.out.sink.isOpen() && this.audio.out.sink.isOpen();
    return this.opened;
  }

  stats(): ViewerStats {
    return { id: this.id, started: this.videoStarted, videoSent: this.video.sent, audioSent: this.audio.sent, sendErrors: this.sendErrors };
  }
}

export class Fanout {
  private readonly viewers = new Map<number, Viewer>();
  private nextId = 1;
  readonly videoSource: SourceState;
  readonly audioSource: SourceState;
  dropped = 0;

  /** performance.now() of the last packet, so an idle session's fanout can be let go. */
  lastPacketAt = performance.now();

  constructor(opts: FanoutOptions = {}) {
    this.videoSource = new SourceState(opts.videoClockRate ?? 90000);
    this.audioSource = new SourceState(opts.audioClockRate ?? 48000);
  }

  addViewer(video: ViewerOutput, audio: ViewerOutput): Viewer {
    const v = new Viewer(this.nextId++, video, audio, this.videoSource.clockRate, this.audioSource.clockRate);
    this.viewers.set(v.id, v);
    return v;
  }

  removeViewer(v: Viewer): void {
    this.viewers.delete(v.id);
  }

  get viewerCount(): number {
    return this.viewers.size;
  }

  stats() {
    return {
      viewers: [...this.viewers.values()].map((v) => v.stats()),
      video: { packets: this.videoSource.packets, restarts: this.videoSource.restarts, ssrc: this.videoSource.ssrc },
      audio: { packets: this.audioSource.packets, restarts: this.audioSource.restarts, ssrc: this.audioSource.ssrc },
      dropped: this.dropped,
    };
  }

  close(): void {
    this.viewers.clear();
  }

  /** One RTP packet of this session's `kind` track. */
  onPacket(kind: Kind, data: Buffer, now = performance.now()): void {
    this.lastPacketAt = now;
    const h = parseRtpHeader(data);
    if (!h) {
      this.dropped++;
      return;
    }
    const source = kind === "video" ? this.videoSource : this.audioSource;
    source.observe(h, now);
    if (this.viewers.size === 0) return;
    const keyframe = kind === "video" && h264StartsKeyframe(data);
    const startable = keyframe && source.paced(now) === true;
    // `data` is rewritten in place per viewer (only its header changes, and each send
    // copies): the ingress hands over a buffer of its own per datagram.
    for (const v of this.viewers.values()) {
      if (!v.ready) continue;
      const out = kind === "video" ? v.video : v.audio;
      if (kind === "video") {
        // A new publisher epoch may begin mid-GOP (or the old GOP was cut): wait for a keyframe.
        if (out.epoch !== source.epoch) v.videoStarted = false;
        if (!v.videoStarted) {
          if (!startable) continue;
          v.videoStarted = true;
          out.resync(source.epoch, h, now);
        }
      } else {
        // Audio starts together with video, so the first second is not audio over a frozen frame.
        if (!v.videoStarted) continue;
        if (out.epoch !== source.epoch) out.resync(source.epoch, h, now);
      }
      let ok = false;
      try {
        ok = out.send(data, h, now);
      } catch {
        ok = false;
      }
      if (!ok) v.sendErrors++;
    }
  }
}
