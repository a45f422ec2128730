// The child of edgeTeardown.test.ts: an edge's signaling with viewers that come and go,
// garbage collection forced between, then the edge's own shutdown (node-datachannel's
// cleanup()). Prints what it saw as one JSON line; a native fault ends it with a signal.
import nodeDataChannel from "node-datachannel";
import { Fanout } from "../../edge/fanout.ts";
import { trackCounts } from "../../edge/nativeTracks.ts";
import { SignalingServer } from "../../edge/signaling.ts";
import { startReceiver } from "./webrtcReceiver.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const collect = async () => {
  for (let i = 0; i < 4; i++) {
    gc();
    await sleep(25);
  }
};

const fanout = new Fanout();
const signaling = new SignalingServer({ resolve: async () => ({ fanout }), port: 0, host: "127.0.0.1", iceUdpPort: Number(process.argv[2]), bindAddress: "127.0.0.1", log: () => undefined });
const url = `ws://127.0.0.1:${await signaling.listening()}/`;

// Viewers that connect and leave, as a busy edge sees all day.
let connected = 0;
let sentToHls = 0;
for (let round = 0; round < 3; round++) {
  const viewers = Array.from({ length: 4 }, (_, i) => startReceiver(url, `r${round}-${i}`));
  // Each viewer connects, or (libdatachannel's set-up race, every retry lost) is sent to HLS.
  const settled = (v: (typeof viewers)[number]) => v.stats.state === "connected" || v.stats.errors.length > 0;
  for (let i = 0; i < 1200 && !viewers.every(settled); i++) await sleep(50);
  connected += viewers.filter((v) => v.stats.state === "connected").length;
  sentToHls += viewers.filter((v) => v.stats.state !== "connected" && v.stats.errors.some((e) => e.startsWith("503:"))).length;
  for (const v of viewers) v.close();
  for (let i = 0; i < 100 && signaling.peerCount > 0; i++) await sleep(50);
  await collect();
}
await collect();
const left = { peers: signaling.peerCount, tracks: trackCounts() };
// The edge's shutdown, as edge/main.ts does it; the process then ends by itself.
signaling.close();
fanout.close();
nodeDataChannel.cleanup();
process.stdout.write(`${JSON.stringify({ connected, sentToHls, ...left })}\n`);
