// npm run bench:webrtc-latency — glass-to-glass latency of WebRTC playback, with HLS
// measured in the same run as the baseline. The method is bench/latency.ts's: the
// publisher (bench/flashPublisher.ts, a "camera" feeding an x264 encoder) flips its picture
// black↔white and notes the instant; Chromium watches the player's frames and notes when
// each flip shows.
//   phase 1: the channel page as a viewer gets it (WebRTC first), FLIPS_WEBRTC
//   phase 2: a fresh page with lh-latency=standard (HLS only), FLIPS_HLS
import { chromium, type Browser, type Page } from "playwright-core";
import { benchStack } from "./stack.ts";
import { RECORD_PEERS } from "../test/support/webrtcPage.ts";
import { FLIP_SAMPLER as SAMPLER } from "./flashFrames.ts";
import { publisherTune, startFlashPublisher, type FlashPublisher } from "./flashPublisher.ts";

const SEGMENT = 1;
const SLUG = "bench-webrtc";
const EVERY = 2; // seconds between flips
const COUNT = 12; // flips per phase
const flipsFrom = (start: number) => Array.from({ length: COUNT }, (_, i) => start + i * EVERY);
const FLIPS_WEBRTC = flipsFrom(16); // 16, 18, … 38
const FLIPS_HLS = flipsFrom(56); // 56, 58, … 78
const END = FLIPS_HLS[COUNT - 1] + 12;

const stack = await benchStack("benchwl", { segmentSeconds: SEGMENT });

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: number[]) => sorted(xs)[Math.floor(xs.length / 2)]; // as bench/latency.ts
const p95 = (xs: number[]) => sorted(xs)[Math.max(0, Math.ceil(xs.length * 0.95) - 1)];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// White from each phase's first flip, toggling every EVERY s, black again after its last flip.
const inPhase = (f: number[], t: number) => t >= f[0] && t < f[COUNT - 1] + EVERY && (t - f[0]) % (2 * EVERY) < EVERY;
const white = (t: number) => inPhase(FLIPS_WEBRTC, t) || inPhase(FLIPS_HLS, t);

// Diagnostics: RECORD_PEERS keeps the page's RTCPeerConnections reachable, to read Chromium's receive stats.
const KEEP_PCS = RECORD_PEERS;
// Per kind: cumulative jitter-buffer seconds and samples, its current target, and losses.
const INBOUND = `(async () => {
  const out = {};
  for (const pc of window.__pcs ?? []) {
    if (pc.connectionState === "closed") continue;
    (await pc.getStats()).forEach((r) => {
      if (r.type !== "inbound-rtp") return;
      out[r.kind] = { jbd: r.jitterBufferDelay ?? 0, jbt: r.jitterBufferTargetDelay ?? 0, n: r.jitterBufferEmittedCount ?? 0, lost: r.packetsLost ?? 0, nacks: r.nackCount ?? 0, frames: r.framesDecoded ?? 0, dropped: r.framesDropped ?? 0 };
    });
  }
  return out;
})()`;
type Inbound = Record<string, { jbd: number; jbt: number; n: number; lost: number; nacks: number; frames: number; dropped: number }>;
const jbMs = (a: Inbound, b: Inbound, kind: string) => {
  const x = a[kind], y = b[kind];
  if (!x || !y || y.n === x.n) return "—";
  return `${(((y.jbd - x.jbd) / (y.n - x.n)) * 1000).toFixed(0)} ms (target ${(((y.jbt - x.jbt) / (y.n - x.n)) * 1000).toFixed(0)} ms)`;
};
const diagnostics: string[] = [];

// OBS's "Tune: zerolatency", as the README advises for low latency; BENCH_PUBLISHER_TUNE=none
// measures OBS's default x264 tuning (B-frames and lookahead hold ~0.4 s in the publisher).
const PUBLISHER_TUNE = publisherTune("zerolatency");
console.log(`# publisher: raw frames → x264 veryfast 2500 kbps, ${PUBLISHER_TUNE ? `tune ${PUBLISHER_TUNE}` : "x264's default tuning (as OBS ships)"} → RTMP`);
let publisher: FlashPublisher | undefined;
let browser: Browser | undefined;
try {
  const channel = await stack.channel(SLUG, { graceMinutes: "0" });
  const spawnedAt = Date.now();
  publisher = startFlashPublisher({ rtmpUrl: channel.rtmpUrl, white, seconds: END, tune: PUBLISHER_TUNE });
  const flipInstants = (source: "webrtc" | "hls") => publisher!.changes.slice(source === "webrtc" ? 0 : COUNT, source === "webrtc" ? COUNT : 2 * COUNT);

  // Live, with the WebRTC source offered to the page.
  for (;;) {
    if (Date.now() - spawnedAt > 30_000) throw new Error("stream did not go live (with an HLS playlist) in 30 s");
    const status = await (await fetch(`${stack.baseUrl}/api/live/${SLUG}`)).json();
    if (status.hlsUrl) {
      if (!status.webrtc) throw new Error(`the live status offers no WebRTC source: ${JSON.stringify(status)}`);
      break;
    }
    await sleep(100);
  }

  browser = await chromium.launch({
    executablePath: stack.env.CHROMIUM_PATH,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"],
  });

  /** One page on one source; the wall-clock instants each flip showed at. */
  async function measure(source: "webrtc" | "hls", flips: number[]): Promise<number[]> {
    const context = await browser!.newContext();
    if (source === "hls") await context.addInitScript(`try { localStorage.setItem("lh-latency", "standard"); } catch {}`);
    else await context.addInitScript(KEEP_PCS);
    const page: Page = await context.newPage();
    const console_: string[] = [];
    page.on("console", (m) => console_.push(`${m.type()}: ${m.text()}`.slice(0, 300)));
    await page.goto(`${stack.baseUrl}/c/${SLUG}`);
    try {
      await page.waitForSelector(`[data-testid=live-player][data-source=${source}] video`, { timeout: 30_000 });
    } catch {
      const shown = await page.getAttribute("[data-testid=live-player]", "data-source").catch(() => null);
      const lines = console_.slice(-15).join("\n  ");
      throw new Error(
        source === "webrtc"
          ? `WebRTC did not connect within 30 s: the player is on data-source="${shown ?? ""}" (see edge.log, web.log and worker*.log in test-results/bench-logs).\n  page console:\n  ${lines}`
          : `the standard (HLS) player did not start within 30 s (data-source="${shown ?? ""}").\n  page console:\n  ${lines}`,
      );
    }
    await page.evaluate(SAMPLER);
    const snaps: Inbound[] = [];
    if (source === "webrtc") snaps.push(await page.evaluate(INBOUND));
    const deadline = spawnedAt + (flips[flips.length - 1] + 12) * 1000;
    let seen: number[] = [];
    while (Date.now() < deadline && seen.length < flips.length) {
      await sleep(250);
      seen = await page.evaluate(() => (window as any).__flips);
      if (source === "webrtc" && snaps.length === 1 && seen.length >= flips.length / 2) snaps.push(await page.evaluate(INBOUND));
    }
    if (source === "webrtc" && snaps.length === 2) {
      const end: Inbound = await page.evaluate(INBOUND);
      for (const [i, [a, b]] of [[snaps[0], snaps[1]], [snaps[1], end]].entries()) {
        diagnostics.push(`# chromium jitter buffer, ${i ? "second" : "first"} half of the webrtc flips: video ${jbMs(a, b, "video")}, audio ${jbMs(a, b, "audio")}`);
      }
      const v = end.video, a = end.audio;
      diagnostics.push(`# chromium inbound at the end: video ${v ? `${v.frames} frames decoded, ${v.dropped} dropped, ${v.lost} packets lost, ${v.nacks} NACKs` : "none"}; audio ${a ? `${a.lost} packets lost` : "none"}`);
    }
    const first = (await page.evaluate(() => (window as any).__first)) as { at: number; bright: boolean } | null;
    const shownAtEnd = await page.getAttribute("[data-testid=live-player]", "data-source");
    await context.close();
    if (shownAtEnd !== source) throw new Error(`the player left ${source} during the measurement (now data-source="${shownAtEnd}")`);
    if (!first) throw new Error(`${source}: no video frame was sampled`);
    // Flips are matched to the schedule in order: sampling must start before the first one.
    if (first.bright || first.at > spawnedAt + flips[0] * 1000) throw new Error(`${source}: sampling started too late (first frame ${first.bright ? "white" : "black"} at stream ${((first.at - spawnedAt) / 1000).toFixed(1)} s, first flip at ${flips[0]} s)`);
    if (seen.length < flips.length) throw new Error(`${source}: saw ${seen.length} of ${flips.length} picture flips`);
    return seen.slice(0, flips.length);
  }

  const report = (source: "webrtc" | "hls", flips: number[], seen: number[]) => {
    const left = flipInstants(source);
    if (left.length < flips.length) throw new Error(`the publisher made ${left.length} of ${flips.length} ${source} flips`);
    const delays = seen.map((at, i) => (at - left[i]) / 1000);
    delays.forEach((d, i) => console.log(`${source} flip ${i + 1} at stream ${flips[i]} s shown after ${d.toFixed(3)} s`));
    return delays;
  };

  const webrtcSeen = await measure("webrtc", FLIPS_WEBRTC);
  // HLS shows the stream seconds late: open it once the picture has been black for longer
  // than that, so its first frame is black and its flips line up with the schedule.
  await sleep(Math.max(0, spawnedAt + (FLIPS_HLS[0] - 10) * 1000 - Date.now()));
  const hlsSeen = await measure("hls", FLIPS_HLS);
  await browser.close();
  browser = undefined;

  console.log(`# segments ${SEGMENT} s; each flip timed from the instant its first frame was handed to the publisher's encoder; ${COUNT} flips per source, every ${EVERY} s; frames handed over late: ${publisher.late}`);
  for (const d of diagnostics) console.log(d);
  const webrtc = report("webrtc", FLIPS_WEBRTC, webrtcSeen);
  const hls = report("hls", FLIPS_HLS, hlsSeen);
  console.log(`hls glass-to-glass p50 seconds: ${median(hls).toFixed(2)}; p95: ${p95(hls).toFixed(2)}`);
  console.log(`webrtc glass-to-glass p95 seconds: ${p95(webrtc).toFixed(2)}`);
  console.log(`hls/webrtc p50 ratio: ${(median(hls) / median(webrtc)).toFixed(1)}x (target: webrtc p50 ≤ 0.40 s)`);
  console.log(`webrtc glass-to-glass p50 seconds: ${median(webrtc).toFixed(2)}`);
} finally {
  await browser?.close().catch(() => {});
  publisher?.stop();
  await stack.shutdown();
}
process.exit(0);
