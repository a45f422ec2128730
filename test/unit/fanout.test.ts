// The edge's fanout: viewers start at a keyframe, see continuous numbering of their own
// across publisher restarts, and never start inside a faster-than-real-time backlog.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Fanout, type RtpSink } from "../../edge/fanout.ts";
import { parseRtpHeader, seqDelta, tsDelta } from "../../edge/rtp.ts";

function pkt(o: { seq: number; ts: number; ssrc: number; pt: number; payload: number[] }): Buffer {
  const b = Buffer.alloc(12 + o.payload.length);
  b[0] = 0x80;
  b[1] = o.pt;
  b.writeUInt16BE(o.seq & 0xffff, 2);
  b.writeUInt32BE(o.ts >>> 0, 4);
  b.writeUInt32BE(o.ssrc, 8);
  Buffer.from(o.payload).copy(b, 12);
  return b;
}
const SPS = [0x67, 0x42], IDR = [0x7c, 0x85, 0], P = [0x41, 0x9a];

class Sink implements RtpSink {
  got: Buffer[] = [];
  open = true;
  isOpen() { return this.open; }
  sendMessageBinary(p: Buffer) { this.got.push(Buffer.from(p)); return true; }
}

/** A clock the test moves: `speed` 1 is real time, 4 a backlog read four times faster. */
class Clock {
  now = 1_000;
  tick(mediaMs: number, speed = 1) { this.now += mediaMs / speed; }
}

/** One publisher epoch: 30 fps video with a keyframe every `gop` frames, 50 pps-ish audio. */
function publish(f: Fanout, clock: Clock, o: { ssrc: number; seq: number; ts: number; frames: number; gop: number; startAt?: number; speed?: number }) {
  let seq = o.seq + (o.startAt ?? 0) * 2, ts = o.ts + (o.startAt ?? 0) * 3000, aseq = o.seq + 1000, ats = o.ts * 2;
  for (let i = o.startAt ?? 0; i < o.frames; i++) {
    if (i % o.gop === 0) {
      f.onPacket("video", pkt({ seq: seq++, ts, ssrc: o.ssrc, pt: 96, payload: SPS }), clock.now);
      f.onPacket("video", pkt({ seq: seq++, ts, ssrc: o.ssrc, pt: 96, payload: IDR }), clock.now);
    } else f.onPacket("video", pkt({ seq: seq++, ts, ssrc: o.ssrc, pt: 96, payload: P }), clock.now);
    f.onPacket("audio", pkt({ seq: aseq++, ts: ats, ssrc: o.ssrc + 1, pt: 111, payload: [1] }), clock.now);
    ts += 3000;
    ats += 1600;
    clock.tick(1000 / 30, o.speed);
  }
}

function assertContinuous(got: Buffer[], ssrc: number) {
  for (let i = 1; i < got.length; i++) {
    const a = parseRtpHeader(got[i - 1])!, b = parseRtpHeader(got[i])!;
    assert.equal(b.ssrc, ssrc);
    assert.equal(seqDelta(a.sequenceNumber, b.sequenceNumber), 1, `seq gap at ${i}`);
    assert.ok(tsDelta(a.timestamp, b.timestamp) >= 0, `ts went back at ${i}`);
  }
}

const viewer = (f: Fanout, vs = 111, as = 222) => {
  const v = new Sink(), a = new Sink();
  const handle = f.addViewer({ sink: v, ssrc: vs, payloadType: 96 }, { sink: a, ssrc: as, payloadType: 111 });
  return { v, a, handle };
};

describe("fanout", () => {
  it("starts a viewer at the first keyframe of a real-time source (SPS first), audio with it, each with its own SSRC", () => {
    const f = new Fanout();
    const clock = new Clock();
    const { v, a } = viewer(f);
    publish(f, clock, { ssrc: 5000, seq: 100, ts: 9000, frames: 40, gop: 10, startAt: 3 });
    // Frames 3..19 arrive while the source is too new to judge (0.5 s); frame 20's keyframe starts it.
    assert.deepEqual([...v.got[0].subarray(12)], SPS);
    assert.equal(v.got.length, 22); // frames 20..39: 2 keyframes of 2 packets + 18 P
    assert.equal(a.got.length, 20);
    assertContinuous(v.got, 111);
    assertContinuous(a.got, 222);
  });

  it("keeps sequence and timestamps continuous across a publisher restart, advancing by wall time", () => {
    const f = new Fanout();
    const clock = new Clock();
    const { v, a } = viewer(f, 7, 8);
    publish(f, clock, { ssrc: 1, seq: 65500, ts: 0xfff00000, frames: 40, gop: 5 }); // wraps seq and ts too
    const before = v.got.length;
    assert.ok(before > 0);
    clock.tick(200);
    publish(f, clock, { ssrc: 99, seq: 12, ts: 123, frames: 40, gop: 5 });
    assert.equal(f.stats().video.restarts, 1);
    assertContinuous(v.got, 7);
    assertContinuous(a.got, 8);
    const gap = tsDelta(parseRtpHeader(v.got[before - 1])!.timestamp, parseRtpHeader(v.got[before])!.timestamp);
    // 200 ms away, plus the 0.5 s the new epoch needs to show it is real time.
    assert.ok(gap >= 0.6 * 90000 && gap < 1.0 * 90000, `video ts gap ${gap / 90000} s`);
    assert.equal(parseRtpHeader(v.got[before])!.payloadType, 96);
  });

  it("does not start viewers inside a backlog read faster than real time, and starts them once it is live", () => {
    const f = new Fanout();
    const clock = new Clock();
    const { v } = viewer(f);
    publish(f, clock, { ssrc: 42, seq: 0, ts: 0, frames: 150, gop: 10, speed: 4 }); // 5 s of backlog in 1.25 s
    assert.equal(v.got.length, 0, "a viewer started inside the backlog");
    publish(f, clock, { ssrc: 42, seq: 0, ts: 0, frames: 240, gop: 10, startAt: 150 }); // then live
    assert.ok(v.got.length > 0, "the viewer never started once the source was live");
    assertContinuous(v.got, 111);
  });

  it("skips viewers whose tracks are not open yet, and removed viewers", () => {
    const f = new Fanout();
    const clock = new Clock();
    const { v, a, handle } = viewer(f, 1, 2);
    v.open = false;
    publish(f, clock, { ssrc: 3, seq: 0, ts: 0, frames: 30, gop: 5 });
    assert.equal(v.got.length + a.got.length, 0);
    v.open = true;
    f.removeViewer(handle);
    publish(f, clock, { ssrc: 3, seq: 0, ts: 0, frames: 60, gop: 5, startAt: 30 });
    assert.equal(v.got.length + a.got.length, 0);
  });
});
