// npm run bench:latency — publish → first playable playlists, and glass-to-glass
// latency: the publisher (bench/flashPublisher.ts) flips its picture black↔white and notes
// the instant; Chromium watches the player's frames and notes when each flip shows.
import { chromium } from "playwright-core";
import { FLIP_SAMPLER } from "./flashFrames.ts";
import { publisherTune, startFlashPublisher, type FlashPublisher } from "./flashPublisher.ts";
import { benchStack } from "./stack.ts";

const SEGMENT = 1;
const TUNE = publisherTune(""); // OBS's default tuning unless BENCH_PUBLISHER_TUNE says otherwise
const FLIPS = [14, 22, 30]; // stream seconds at which the picture flips
const stack = await benchStack("bench", { segmentSeconds: SEGMENT });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
let publisher: FlashPublisher | undefined;
try {
  const channel = await stack.channel("bench", { graceMinutes: "0" });
  const key = channel.key;

  // White from the first flip to the second, and again from the third on.
  const white = (t: number) => (t >= FLIPS[0] && t < FLIPS[1]) || t >= FLIPS[2];
  const spawnedAt = Date.now();
  publisher = startFlashPublisher({ rtmpUrl: `rtmp://127.0.0.1:${stack.env.RTMP_PORT}/live/${key}`, white, seconds: FLIPS[2] + 12, tune: TUNE });

  // 1. Publish → first playable master + media playlist.
  let masterUrl = "";
  let playableAfter = 0;
  while (!playableAfter) {
    if (Date.now() - spawnedAt > 30_000) throw new Error("stream did not become playable in 30 s");
    const status = await (await fetch(`${stack.baseUrl}/api/live/bench`)).json();
    if (status.hlsUrl) {
      masterUrl = stack.baseUrl + status.hlsUrl;
      const master = await (await fetch(masterUrl)).text();
      const first = master.split("\n").find((l) => l && !l.startsWith("#"));
      const media = first ? await (await fetch(new URL(first, masterUrl))).text() : "";
      if (media.includes("#EXTINF")) playableAfter = (Date.now() - spawnedAt) / 1000;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  console.log(`publish → first playable master+media playlist seconds: ${playableAfter.toFixed(2)}`);

  // 2. Glass to glass in Chromium.
  const browser = await chromium.launch({
    executablePath: stack.env.CHROMIUM_PATH,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"],
  });
  const context = await browser.newContext();
  // The channel page plays WebRTC first now; this benchmark measures the HLS path.
  await context.addInitScript(`try { localStorage.setItem("lh-latency", "standard"); } catch {}`);
  const page = await context.newPage();
  await page.goto(`${stack.baseUrl}/c/bench`);
  await page.waitForSelector("video", { timeout: 30_000 });
  await page.evaluate(FLIP_SAMPLER);
  const deadline = spawnedAt + (FLIPS[2] + 10) * 1000;
  let seen: number[] = [];
  while (Date.now() < deadline && seen.length < FLIPS.length) {
    await new Promise((r) => setTimeout(r, 250));
    seen = await page.evaluate(() => (window as any).__flips);
  }
  await browser.close();
  if (seen.length < FLIPS.length) throw new Error(`saw ${seen.length} of ${FLIPS.length} picture flips`);
  const delays = seen.map((at, i) => (at - publisher!.changes[i]) / 1000);
  console.log(`# segments ${SEGMENT} s; each flip timed from the instant its first frame was handed to the publisher's encoder (x264 veryfast, ${TUNE ? `tune ${TUNE}` : "default tuning, as OBS ships"})`);
  delays.forEach((d, i) => console.log(`flip ${i + 1} at stream ${FLIPS[i]} s shown after ${d.toFixed(2)} s`));
  console.log(`hls glass-to-glass seconds: ${median(delays).toFixed(2)}`);
} finally {
  publisher?.stop();
  await stack.shutdown();
}
process.exit(0);
