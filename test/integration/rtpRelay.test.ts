// A worker's RTP relay with real UDP sockets on loopback: every RTP packet reaches every
// edge listed, RTCP none, and an edge that joins or leaves is picked up on the next refresh.
import assert from "node:assert/strict";
import dgram from "node:dgram";
import { after, describe, it } from "node:test";
import type { EdgeAnnouncement } from "../../lib/webrtc/edges.ts";
import { RtpRelay } from "../../workers/live/rtpRelay.ts";

async function udpReceiver() {
  const got: Buffer[] = [];
  const s = dgram.createSocket("udp4");
  s.on("message", (b) => got.push(b));
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
  return { got, port: s.address().port, close: () => s.close() };
}

const announcement = (id: string, host: string, port: number): EdgeAnnouncement => ({ id, rtp: { host, port }, signalingUrl: "http://x", viewers: 0, maxViewers: 10, at: Date.now() });
const rtp = (seq: number) => Buffer.from([0x80, 96, seq >> 8, seq & 0xff, 0, 0, 0, 0, 0, 0, 0, 7, 0x65]);
const rtcp = Buffer.from([0x80, 200, 0, 6, 0, 0, 0, 7]);

describe("worker RTP relay", () => {
  const closers: (() => void)[] = [];
  after(() => closers.forEach((c) => c()));

  it("passes RTP to every listed edge, drops RTCP, follows the list", async () => {
    const [a, b] = [await udpReceiver(), await udpReceiver()];
    closers.push(a.close, b.close);
    // "localhost" is resolved once per refresh, not per packet.
    let edges = [announcement("a", "127.0.0.1", a.port), announcement("b", "localhost", b.port)];
    const relay = await RtpRelay.start(async () => edges);
    closers.push(() => relay.close());
    const sender = dgram.createSocket("udp4");
    closers.push(() => sender.close());
    const send = (p: Buffer) => new Promise<void>((r) => sender.send(p, relay.address.port, relay.address.host, () => r()));
    const until = async (what: string, ok: () => boolean) => {
      for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(ok(), what);
    };

    for (let i = 0; i < 20; i++) await send(rtp(i));
    await send(rtcp);
    await send(rtp(20));
    await until("both edges have 21 packets", () => a.got.length === 21 && b.got.length === 21);
    assert.deepEqual(a.got.map((p) => p.readUInt16BE(2)), [...Array(21).keys()]);
    assert.ok(b.got.every((p) => p[1] === 96), "no RTCP passed on");

    edges = [announcement("b", "localhost", b.port)];
    await relay.refresh();
    await send(rtp(21));
    await until("b has the packet sent after a left", () => b.got.length === 22);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(a.got.length, 21, "an edge no longer listed gets nothing");

    // The registry cannot be read for a moment: keep sending where it sent.
    let registryAway = false;
    const failing = await RtpRelay.start(async () => {
      if (registryAway) throw new Error("redis away");
      return [announcement("a", "127.0.0.1", a.port)];
    });
    closers.push(() => failing.close());
    registryAway = true;
    await failing.refresh();
    await new Promise<void>((r) => sender.send(rtp(99), failing.address.port, "127.0.0.1", () => r()));
    await until("a still gets packets while the registry is away", () => a.got.length === 22);
  });
});
