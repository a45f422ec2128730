// Sub-second playback in Chromium: the channel page plays WebRTC from the edge (real ICE,
// DTLS, SRTP on loopback), 20 peers in one page all receive, and a viewer whose UDP is
// blocked lands on HLS. Bad signaling is refused without touching the viewers.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import WebSocket from "ws";
import { RECORD_PEERS } from "../support/webrtcPage.ts";
import { closeBrowserAfter, newPage, screenshot } from "../support/browser.ts";
import { BASE_URL, closeConnectionsAfter } from "../support/env.ts";
import { updateChannel } from "../../lib/channels.ts";
import { TEST_LADDER, liveChannel, liveStatus, publish, waitFor, waitForLive, type LiveChannel, type Publisher } from "../support/live.ts";
import { startReceiverProcess } from "../support/webrtcReceiverProcess.ts";

closeConnectionsAfter();
closeBrowserAfter();

const WS_BASE = BASE_URL.replace(/^http/, "ws");

const PLAYBACK = `(async () => {
  const pc = window.__pcs.find((p) => p.connectionState === "connected");
  const video = document.querySelector("video");
  if (!pc || !video) return null;
  let frames = 0;
  (await pc.getStats()).forEach((r) => { if (r.type === "inbound-rtp" && r.kind === "video") frames = r.framesDecoded ?? 0; });
  const c = document.createElement("canvas");
  c.width = 64; c.height = 36;
  const g = c.getContext("2d");
  g.drawImage(video, 0, 0, 64, 36);
  const d = g.getImageData(0, 0, 64, 36).data;
  let sum = 0, sq = 0;
  for (let i = 0; i < d.length; i += 4) { const y = 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2]; sum += y; sq += y * y; }
  const n = d.length / 4, mean = sum / n;
  return { frames, time: video.currentTime, audioTracks: video.srcObject ? video.srcObject.getAudioTracks().length : 0, mean, spread: Math.sqrt(sq / n - mean * mean), peers: window.__pcs.length };
})()`;

interface Playback { frames: number; time: number; audioTracks: number; mean: number; spread: number; peers: number }

function signaling(path: string) {
  const ws = new WebSocket(`${WS_BASE}${path}`);
  const inbox: Record<string, any>[] = [];
  ws.on("message", (d) => inbox.push(JSON.parse(d.toString())));
  return {
    opened: new Promise<void>((r, j) => (ws.once("open", () => r()), ws.once("error", j))),
    send: (m: string | object) => ws.send(typeof m === "string" ? m : JSON.stringify(m)),
    next: () => waitFor("a signaling answer", async () => inbox.shift(), 10_000, 20),
    close: () => ws.close(),
  };
}

describe("WebRTC playback", () => {
  let ch: LiveChannel;
  let pub: Publisher;

  before(async () => {
    ch = await liveChannel({ graceMinutes: "0" });
    pub = publish(ch.key);
    await waitForLive(ch.slug, 60_000);
  });
  after(async () => {
    await pub?.stop();
  });

  it("the channel page plays over WebRTC: connected, frames decoded, time advancing, a real picture and an audio track", async () => {
    const { page, context } = await newPage();
    await context.addInitScript(RECORD_PEERS);
    await page.goto(`/c/${ch.slug}`);
    await page.locator('[data-testid=live-player][data-source="webrtc"]').waitFor({ timeout: 30_000 });
    await page.getByTestId("latency-mode").getByText("Low latency").waitFor({ timeout: 15_000 });
    const first = await waitFor("WebRTC frames", async () => {
      const p = (await page.evaluate(PLAYBACK)) as Playback | null;
      return p && p.frames > 10 ? p : null;
    }, 30_000);
    const later = await waitFor("more WebRTC frames", async () => {
      const p = (await page.evaluate(PLAYBACK)) as Playback | null;
      return p && p.frames > first.frames + 30 && p.time > first.time + 1 ? p : null;
    }, 30_000);
    assert.ok(later.audioTracks >= 1, "no audio track");
    assert.ok(later.spread > 20, `the picture is flat (luma spread ${later.spread.toFixed(1)}, mean ${later.mean.toFixed(1)}): black or frozen?`);
    await screenshot(page, "webrtc-channel-page");
    // The viewer's switch: standard (HLS), then back; the browser remembers the choice.
    await page.getByRole("button", { name: "Switch to standard" }).click();
    await page.locator('[data-testid=live-player][data-source="hls"]').waitFor({ timeout: 30_000 });
    await page.reload();
    await page.locator('[data-testid=live-player][data-source="hls"]').waitFor({ timeout: 30_000 });
    await page.getByRole("button", { name: "Switch to low latency" }).click();
    await page.locator('[data-testid=live-player][data-source="webrtc"]').waitFor({ timeout: 30_000 });
    await context.close();
  });

  it("20 WebRTC peers in one page all receive frames", async () => {
    const { page, context } = await newPage();
    await page.goto(`/c/${ch.slug}`);
    const script = `(async () => {
      const url = location.origin.replace(/^http/, "ws") + "/ws/${ch.slug}";
      // Each peer does what OvenPlayer does, including its answer to {command:"stop"}:
      // close the connection and ask for a new offer (the edge sends it when a set-up fails).
      const peers = await Promise.all(Array.from({ length: 20 }, () => new Promise((resolve, reject) => {
        const ws = new WebSocket(url);
        const peer = { ws, pc: null, restarts: 0 };
        ws.onopen = () => ws.send(JSON.stringify({ command: "request_offer" }));
        ws.onerror = () => reject(new Error("ws error"));
        ws.onmessage = async (e) => {
          const m = JSON.parse(e.data);
          if (m.error) return reject(new Error(m.error));
          if (m.command === "stop" && m.peer_id === 0) {
            peer.pc?.close();
            peer.restarts++;
            return ws.send(JSON.stringify({ command: "request_offer" }));
          }
          if (m.command !== "offer") return;
          const pc = (peer.pc = new RTCPeerConnection());
          await pc.setRemoteDescription(m.sdp);
          for (const c of m.candidates) await pc.addIceCandidate(c);
          await pc.setLocalDescription(await pc.createAnswer());
          ws.send(JSON.stringify({ id: m.id, peer_id: m.peer_id, command: "answer", sdp: pc.localDescription }));
          resolve(peer);
        };
      })));
      window.__many = peers;
      return peers.length;
    })()`;
    assert.equal(await page.evaluate(script), 20);
    const counts = await waitFor("frames on all 20 peers", async () => {
      const frames = (await page.evaluate(`Promise.all(window.__many.map(async ({ pc }) => {
        if (pc.connectionState !== "connected") return 0;
        let f = 0;
        (await pc.getStats()).forEach((r) => { if (r.type === "inbound-rtp" && r.kind === "video") f = Math.max(r.framesReceived ?? 0, r.framesDecoded ?? 0); });
        return f;
      }))`)) as number[];
      return frames.every((f) => f > 10) ? frames : null;
    }, 60_000, 500);
    assert.equal(counts.length, 20);
    await context.close();
  });

  it("a connection that fails while being set up: the edge asks OvenPlayer to start again, and it plays", async () => {
    // The page's first answer carries a wrong DTLS fingerprint, so the edge's handshake
    // fails as libdatachannel's set-up race does under load (edge/signaling.ts SETUP_RETRIES).
    const { page, context } = await newPage();
    await context.addInitScript(RECORD_PEERS);
    await context.addInitScript(`(() => {
      const send = WebSocket.prototype.send;
      window.__answers = 0;
      window.__stops = 0;
      WebSocket.prototype.send = function (data) {
        try {
          const m = JSON.parse(data);
          (window.__log ??= []).push("out " + m.command + " " + Date.now());
          if (m.command === "answer" && window.__answers++ === 0) {
            m.sdp = { type: m.sdp.type, sdp: m.sdp.sdp.replace(/a=fingerprint:sha-256 \\S+/g, "a=fingerprint:sha-256 " + Array(32).fill("AB").join(":")) };
            data = JSON.stringify(m);
          }
        } catch {}
        if (!this.__watched) {
          this.__watched = true;
          this.addEventListener("message", (e) => { try { const m = JSON.parse(e.data); (window.__log ??= []).push("in " + (m.command ?? m.error) + " " + Date.now()); if (m.command === "stop") window.__stops++; } catch {} });
          this.addEventListener("close", () => (window.__log ??= []).push("ws closed " + Date.now()));
        }
        return send.call(this, data);
      };
    })()`);
    const consoleLines: string[] = [];
    page.on("console", (m) => consoleLines.push(m.text().slice(0, 200)));
    await page.goto(`/c/${ch.slug}`);
    // The player asked again and plays. In most runs it is WebRTC; once in a while (about one
    // run in eight on a loaded machine) OvenPlayer drops the second connection as it starts
    // and falls back to HLS, which still plays: never a black player.
    const TIME = `(() => { const v = document.querySelector("[data-testid=live-player] video"); return v && !v.paused ? v.currentTime : null; })()`;
    const t0 = await waitFor("the player to play", async () => ((await page.evaluate(TIME)) as number | null) ?? null, 45_000);
    await waitFor("the picture to advance", async () => (((await page.evaluate(TIME)) as number | null) ?? 0) > t0 + 1 || null, 30_000).catch(async (e) => {
      throw new Error(`${e.message}; signaling ${await page.evaluate("JSON.stringify(window.__log)")} source=${await page.getAttribute("[data-testid=live-player]", "data-source")}\n${consoleLines.slice(-20).join("\n")}`);
    });
    const source = await page.getAttribute("[data-testid=live-player]", "data-source");
    assert.ok(source === "webrtc" || source === "hls", `data-source=${source}`);
    if (source === "webrtc") {
      // On a loaded machine the decoder's count trails the clock: wait for it rather than sample once.
      let p: Playback | null = null;
      await waitFor("frames decoded on the connected peer", async () => ((p = (await page.evaluate(PLAYBACK)) as Playback | null), (p?.frames ?? 0) > 10), 20_000).catch((e) => {
        throw new Error(`${e.message}: ${JSON.stringify(p)}`);
      });
    } else console.log("# OvenPlayer fell back to HLS after the fresh offer");
    // The edge gave up on the failed set-up once and told the player to start again. Playing over
    // WebRTC, the player answered a second offer; fallen back to HLS it may have left before answering.
    const signaled = (await page.evaluate(`({ answers: window.__answers, stops: window.__stops })`)) as { answers: number; stops: number };
    assert.equal(signaled.stops, 1, `one stop from the edge: ${JSON.stringify(signaled)}`);
    if (source === "webrtc") assert.ok(signaled.answers >= 2, `a second answer: ${JSON.stringify(signaled)}`);
    await context.close();
  });

  it("a viewer whose UDP cannot get through lands on HLS and plays", async () => {
    // A browser that may only use relays, and no relay is configured: like a network that
    // lets no UDP out, ICE never connects (on loopback, blocking ports would not do it:
    // either side can reach the other's host candidate).
    const { page, context } = await newPage();
    await context.addInitScript(`(() => {
      const Orig = window.RTCPeerConnection;
      window.RTCPeerConnection = class extends Orig { constructor(c) { super({ ...(c || {}), iceTransportPolicy: "relay" }); } };
    })()`);
    await page.goto(`/c/${ch.slug}`);
    await page.locator('[data-testid=live-player][data-source="hls"]').waitFor({ timeout: 30_000 });
    await page.getByTestId("latency-mode").getByText("Standard").waitFor();
    await page.getByText("Low latency could not connect from here").waitFor();
    await waitFor("HLS playing", () => page.evaluate(() => (document.querySelector("video")?.currentTime ?? 0) > 1), 30_000);
    await screenshot(page, "webrtc-fallback-hls");
    await context.close();
  });

  it("bad signaling gets a clear error and the viewers keep receiving", async () => {
    const viewer = startReceiverProcess(`${WS_BASE}/ws/${ch.slug}`, "steady");
    try {
      // The edge starts a viewer only on media arriving at about real time. Under the whole
      // suite's load the transcode may be stepping down its ladder and catching up a backlog
      // of tens of seconds (seen in CI: 24 s behind at 0.3–0.5× real time before a step-down),
      // during which no new viewer starts: a generous wait, not a tight one.
      await waitFor("the steady viewer receiving", async () => viewer.stats.video.packets > 50, 120_000);
      const s = signaling(`/ws/${ch.slug}`);
      await s.opened;
      s.send("{not json");
      assert.deepEqual(await s.next(), { error: "message is not valid JSON", code: 400 });
      s.send({ command: "dance" });
      assert.equal((await s.next()).code, 400);
      s.send({ command: "answer", id: 4242, peer_id: 0, sdp: { type: "answer", sdp: "v=0" } });
      assert.equal((await s.next()).code, 404);
      s.send("x".repeat(70 * 1024));
      assert.equal((await s.next()).code, 413);
      for (let i = 0; i < 300; i++) s.send({ command: "dance", i });
      for (let i = 0; i < 300; i++) assert.equal((await s.next()).code, 400);
      s.send({ command: "ping" });
      assert.deepEqual(await s.next(), { command: "pong" });
      s.close();

      const nowhere = signaling("/ws/no-such-channel");
      await nowhere.opened;
      nowhere.send({ command: "request_offer" });
      assert.deepEqual(await nowhere.next(), { error: "no such channel", code: 404 });
      nowhere.close();
      const offline = await liveChannel();
      const quiet = signaling(`/ws/${offline.slug}`);
      await quiet.opened;
      quiet.send({ command: "request_offer" });
      assert.deepEqual(await quiet.next(), { error: "the channel is not live", code: 404 });
      quiet.close();

      const before = viewer.stats.video.packets;
      await waitFor("the steady viewer still receiving", async () => viewer.stats.video.packets > before + 100, 90_000);
      assert.deepEqual(viewer.stats.errors, []);
    } finally {
      viewer.close();
    }
  });

  it("a channel that switches low latency off plays HLS only, and the edge refuses it", async () => {
    await updateChannel(ch.owner.id, ch.channelId, { slug: ch.slug, title: "Live test", reconnectGraceMinutes: "0", ladder: TEST_LADDER, webrtcEnabled: "off" });
    const status = await liveStatus(ch.slug);
    assert.equal(status.status, "live");
    assert.equal(status.webrtc, undefined);
    const s = signaling(`/ws/${ch.slug}`);
    await s.opened;
    s.send({ command: "request_offer" });
    assert.deepEqual(await s.next(), { error: "low-latency playback is off for this channel", code: 404 });
    s.close();
    const { page, context } = await newPage();
    await page.goto(`/c/${ch.slug}`);
    await page.locator('[data-testid=live-player][data-source="hls"]').waitFor({ timeout: 30_000 });
    assert.equal(await page.getByTestId("latency-mode").count(), 0);
    await context.close();
  });
});
