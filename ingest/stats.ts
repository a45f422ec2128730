// Stream health as seen by ingest: measured frame rate, bitrate and keyframe
// interval (the number OBS users most often get wrong).
import type { NmsPacket } from "./nms.ts";

const WINDOW_MS = 10_000;

export interface StatsSnapshot {
  fps: number | null;
  bitrateKbps: number | null;
  keyframeIntervalSeconds: number | null;
  /** Media time sent per wall-clock time; an encoder that cannot keep up sends less than 1. */
  sendSpeed: number | null;
}

export class PublisherStats {
  private frameDts: number[] = [];
  private keyframeDts: number[] = [];
  private byteSamples: { at: number; bytes: number }[] = [];
  private clockSamples: { at: number; dts: number }[] = [];
  private newestDts: number | null = null;

  onPacket(packet: NmsPacket): void {
    if (packet.codec_type !== 9 || packet.flags === 2) return;
    this.newestDts = Math.max(this.newestDts ?? packet.dts, packet.dts);
    this.frameDts.push(packet.dts);
    if (packet.flags === 3) this.keyframeDts.push(packet.dts);
    const newest = packet.dts;
    while (this.frameDts.length && newest - this.frameDts[0] > WINDOW_MS) this.frameDts.shift();
    while (this.keyframeDts.length > 6) this.keyframeDts.shift();
  }

  snapshot(totalBytesIn: number, now = Date.now()): StatsSnapshot {
    this.byteSamples.push({ at: now, bytes: totalBytesIn });
    while (this.byteSamples.length > 2 && now - this.byteSamples[0].at > WINDOW_MS) this.byteSamples.shift();
    if (this.newestDts !== null) this.clockSamples.push({ at: now, dts: this.newestDts });
    while (this.clockSamples.length > 2 && now - this.clockSamples[0].at > WINDOW_MS) this.clockSamples.shift();
    const c0 = this.clockSamples[0];
    const c1 = this.clockSamples[this.clockSamples.length - 1];
    // Only once a few seconds are covered: a burst at connect (encoder buffers) is not a speed.
    const sendSpeed = c0 && c1.at - c0.at >= 4000 ? Math.round(((c1.dts - c0.dts) / (c1.at - c0.at)) * 100) / 100 : null;
    const first = this.byteSamples[0];
    const bitrateKbps = now > first.at ? Math.round(((totalBytesIn - first.bytes) * 8) / (now - first.at)) : null;
    const span = this.frameDts.length > 1 ? this.frameDts[this.frameDts.length - 1] - this.frameDts[0] : 0;
    const fps = span > 0 ? Math.round(((this.frameDts.length - 1) * 1000 * 10) / span) / 10 : null;
    let keyframeIntervalSeconds: number | null = null;
    if (this.keyframeDts.length > 1) {
      const k = this.keyframeDts;
      keyframeIntervalSeconds = Math.round((k[k.length - 1] - k[0]) / (k.length - 1) / 100) / 10;
    }
    return { fps, bitrateKbps: bitrateKbps && bitrateKbps > 0 ? bitrateKbps : null, keyframeIntervalSeconds, sendSpeed };
  }
}
