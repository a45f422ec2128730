import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import WebSocket from "ws";
import { Fanout } from "../../edge/fanout.ts";
import { ErrorCode, SignalingError } from "../../edge/errors.ts";
import { rewriteCandidateAddress } from "../../edge/offer.ts";
import { SETUP_RETRIES, SignalingServer } from "../../edge/signaling.ts";
import { startReceiver } from "../support/webrtcReceiver.ts";
import { tearDownWebRTC } from "../support/webrtcTeardown.ts";

const PUBLIC_IP = "203.0.113.7";
const ICE_PORT = 40000 + Math.floor(Math.random() * 5000);

function client(url: string) {
  const ws = new WebSocket(url);
  const queue: Record<string, unknown>[] = [];
  const waiters: ((m: Record<string, unknown>) => void)[] = [];
  ws.on("message", (d) => {
    const m = JSON.parse(d.toString());
    const w = waiters.shift();
    if (w) w(m);
    else queue.push(m);
  });
  const opened = new Promise<void>((r) => ws.once("open", () => r()));
  return {
    opened,
    send: (s: string) => ws.send(s),
    next: () => new Promise<Record<string, unknown>>((r) => (queue.length ? r(queue.shift()!) : waiters.push(r))),
    close: () => ws.close(),
  };
}

// The edge's signaling with real libdatachannel peers (no other service needed).
describe("edge signaling (OvenPlayer protocol)", () => {
  let fanout: Fanout;
  let signaling: SignalingServer;
  let url: string;

  before(async () => {
    fanout = new Fanout();
    signaling = new SignalingServer({
      resolve: async (c) => {
        if (c.url.startsWith("/ws/offline")) throw new SignalingError(ErrorCode.NotFound, "the channel is not live");
        return { fanout };
      },
      port: 0,
      host: "127.0.0.1",
      iceUdpPort: ICE_PORT,
      publicIp: PUBLIC_IP,
      maxPeersPerAddress: 2,
      log: () => undefined,
    });
    url = `ws://127.0.0.1:${await signaling.listening()}/`;
  });

  after(() => {
    signaling.close();
    fanout.close();
    tearDownWebRTC();
  });

  it("offers H.264 + Opus, one msid, bundled, on the mux port with the public address, without iceServers", async () => {
    const c = client(url);
    await c.opened;
    c.send(JSON.stringify({ command: "request_offer" }));
    const offer = await c.next();
    assert.equal(offer.command, "offer");
    assert.equal(offer.peer_id, 0);
    assert.equal(typeof offer.id, "number");
    assert.equal("iceServers" in offer || "ice_servers" in offer, false);
    const sdp = (offer.sdp as { type: string; sdp: string });
    assert.equal(sdp.type, "offer");
    assert.match(sdp.sdp, /a=group:BUNDLE 0 1/);
    assert.match(sdp.sdp, /a=rtpmap:96 H264\/90000/);
    assert.match(sdp.sdp, /a=fmtp:96 packetization-mode=1;profile-level-id=42e01f;level-asymmetry-allowed=1/);
    assert.match(sdp.sdp, /a=rtpmap:111 opus\/48000\/2/);
    const msids = [...sdp.sdp.matchAll(/^a=msid:(\S+) (\S+)/gm)].map((m) => m[1]);
    assert.deepEqual(msids, ["livehouse", "livehouse"]);
    assert.equal((sdp.sdp.match(/a=sendonly/g) ?? []).length, 2);
    const cands = offer.candidates as { candidate: string; sdpMLineIndex: number }[];
    assert.equal(cands.length, 1, JSON.stringify(cands)); // every interface collapses onto the public address
    for (const cand of cands) {
      assert.match(cand.candidate, new RegExp(`^candidate:\\S+ 1 UDP \\d+ ${PUBLIC_IP.replace(/\./g, "\\.")} ${ICE_PORT} typ host`));
      assert.equal(cand.sdpMLineIndex, 0);
    }
    assert.equal(signaling.peerCount, 1);

    // Answer / candidate for another connection id are refused, clearly.
    c.send(JSON.stringify({ id: (offer.id as number) + 1000, peer_id: 0, command: "answer", sdp: { type: "answer", sdp: "v=0" } }));
    assert.deepEqual(await c.next(), { error: `unknown connection id ${(offer.id as number) + 1000}`, code: 404 });
    c.send(JSON.stringify({ id: offer.id, peer_id: 0, command: "answer", sdp: { type: "answer", sdp: "garbage" } }));
    const bad = await c.next();
    assert.equal(bad.code, 400);
    assert.match(String(bad.error), /^answer rejected/);

    c.send(JSON.stringify({ command: "stop", id: offer.id }));
    c.send(JSON.stringify({ command: "ping" }));
    assert.deepEqual(await c.next(), { command: "pong" });
    assert.equal(signaling.peerCount, 0);
    c.close();
  });

  it("answers garbage, unknown commands and oversized messages with {error, code}", async () => {
    const c = client(url);
    await c.opened;
    c.send("{not json");
    assert.deepEqual(await c.next(), { error: "message is not valid JSON", code: 400 });
    c.send("[1,2]");
    assert.deepEqual(await c.next(), { error: "message must be a JSON object", code: 400 });
    c.send(JSON.stringify({ command: "change_rendition" }));
    assert.deepEqual(await c.next(), { error: "unknown command 'change_rendition'", code: 400 });
    c.send(JSON.stringify({ command: "candidate", id: 1, candidates: [] }));
    assert.deepEqual(await c.next(), { error: "no connection; send request_offer first", code: 404 });
    c.send(JSON.stringify({ command: "ping", pad: "x".repeat(70 * 1024) }));
    assert.deepEqual(await c.next(), { error: "message larger than 65536 bytes", code: 413 });
    c.close();
  });

  it("refuses what the resolver refuses, and a third connection from one address", async () => {
    const off = client(url.replace(/\/$/, "/ws/offline"));
    await off.opened;
    off.send(JSON.stringify({ command: "request_offer" }));
    assert.deepEqual(await off.next(), { error: "the channel is not live", code: 404 });
    off.close();
    const a = client(url), b = client(url), c = client(url);
    await Promise.all([a.opened, b.opened, c.opened]);
    a.send(JSON.stringify({ command: "request_offer" }));
    assert.equal((await a.next()).command, "offer");
    b.send(JSON.stringify({ command: "request_offer" }));
    assert.equal((await b.next()).command, "offer");
    c.send(JSON.stringify({ command: "request_offer" }));
    assert.deepEqual(await c.next(), { error: "too many low-latency connections from your address", code: 503 });
    a.close();
    await new Promise((r) => setTimeout(r, 200));
    c.send(JSON.stringify({ command: "request_offer" }));
    assert.equal((await c.next()).command, "offer", "a closed connection's slot was not given back");
    b.close();
    c.close();
  });

  it("rewrites only the address field of a candidate", () => {
    assert.equal(rewriteCandidateAddress("candidate:1 1 UDP 2114977791 10.0.0.5 40000 typ host", PUBLIC_IP), `candidate:1 1 UDP 2114977791 ${PUBLIC_IP} 40000 typ host`);
    assert.equal(rewriteCandidateAddress("a=candidate:1 1 UDP 2114977791 10.0.0.5 40000 typ host", PUBLIC_IP), `a=candidate:1 1 UDP 2114977791 ${PUBLIC_IP} 40000 typ host`);
    assert.equal(rewriteCandidateAddress("nonsense", PUBLIC_IP), "nonsense");
  });

  describe("a connection that fails while being set up", () => {
    // A server that advertises its real (loopback) address, so peers really connect.
    let local: SignalingServer;
    let localUrl: string;
    const logs: string[] = [];
    before(async () => {
      local = new SignalingServer({ resolve: async () => ({ fanout }), port: 0, host: "127.0.0.1", iceUdpPort: ICE_PORT + 1, bindAddress: "127.0.0.1", log: (m) => logs.push(m) });
      localUrl = `ws://127.0.0.1:${await local.listening()}/`;
    });
    after(() => local.close());
    // The edge checks the browser's DTLS certificate against the answer's fingerprint; a
    // wrong one fails the handshake as libdatachannel's race under load does.
    const wrongFingerprint = (sdp: string) => sdp.replace(/a=fingerprint:sha-256 \S+/g, `a=fingerprint:sha-256 ${Array(32).fill("AB").join(":")}`);
    const until = async (what: string, ok: () => boolean, r: { stats: object }) => {
      for (let i = 0; i < 300 && !ok(); i++) await new Promise((r) => setTimeout(r, 100));
      assert.ok(ok(), `timed out waiting until ${what}: ${JSON.stringify(r.stats, (_, v) => (v instanceof Set ? [...v] : v))}\n${logs.join("\n")}`);
    };

    it("gets a stop from the edge, asks again as OvenPlayer does, and connects", async () => {
      const r = startReceiver(localUrl, "setup-retry", { tamperAnswer: (sdp, n) => (n === 0 ? wrongFingerprint(sdp) : sdp) });
      try {
        // Under load a fresh offer can fail too (the race SETUP_RETRIES is for): connected
        // after at least the one stop is what the player sees.
        await until("a connection after the stop is up", () => r.stats.restarts >= 1 && r.stats.state === "connected", r);
        assert.deepEqual(r.stats.errors, []);
        assert.ok(logs.some((l) => /failed while connecting; the player is asked to start again \(1\//.test(l)), logs.join("\n"));
      } finally {
        r.close();
      }
    });

    it(`after ${SETUP_RETRIES} fresh offers that also fail, sends the player to the standard stream`, async () => {
      const r = startReceiver(localUrl, "setup-gives-up", { tamperAnswer: wrongFingerprint });
      try {
        await until("the edge gives up", () => r.stats.errors.length > 0, r);
        assert.equal(r.stats.restarts, SETUP_RETRIES);
        assert.match(r.stats.errors[0], /^503: could not set up a low-latency connection/);
        assert.notEqual(r.stats.state, "connected");
      } finally {
        r.close();
      }
    });
  });
});
