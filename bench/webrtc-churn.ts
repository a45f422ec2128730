// npm run bench:webrtc-churn — what a WebRTC viewer who has left still costs the edge.
// The edge's signaling and fanout run in this process with headless receivers
// (test/support/webrtcReceiver.ts: real ICE, DTLS and SRTP); a paced synthetic stream
// (RTP, 30 frames/s of 6 packets, audio at 50 packets/s) fills each viewer's NACK history.
// Rounds of viewers join, watch for 3 s and leave; garbage is collected after each.
//   kept per departed viewer = RSS growth from the end of the warm-up round to the last
//                              round ÷ viewers who left in between
// Before edge/nativeTracks.ts, every departed viewer's tracks were kept until the process
// stopped (≈ 0.8 MB each on the development machine); the figure should be ≈ 0.
import v8 from "node:v8";
import vm from "node:vm";
import { Fanout } from "../edge/fanout.ts";
import { trackCounts } from "../edge/nativeTracks.ts";
import { SignalingServer } from "../edge/signaling.ts";
import { freeUdpPort } from "../scripts/ports.ts";
import { startReceiver } from "../test/support/webrtcReceiver.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const VIEWERS = Number(process.env.BENCH_VIEWERS ?? 10);
v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rssMb = () => process.memoryUsage().rss / 1048576;

const fanout = new Fanout();
const signaling = new SignalingServer({
  resolve: async () => ({ fanout }),
  port: 0,
  host: "127.0.0.1",
  iceUdpPort: await freeUdpPort(),
  bindAddress: "127.0.0.1",
  maxPeersPerAddress: 1000,
  log: () => undefined,
});
const url = `ws://127.0.0.1:${await signaling.listening()}/`;

const t0 = performance.now();
const seq = { video: 0, audio: 0 };
function packet(kind: "video" | "audio"): Buffer {
  const b = Buffer.alloc(kind === "video" ? 1200 : 200);
  const ms = performance.now() - t0;
  b[0] = 0x80;
  b[1] = kind === "video" ? 96 : 111;
  b.writeUInt16BE(seq[kind]++ & 0xffff, 2);
  b.writeUInt32BE(Math.round(ms * (kind === "video" ? 90 : 48)) >>> 0, 4);
  b.writeUInt32BE(kind === "video" ? 1111 : 2222, 8);
  b[12] = 0x65; // an IDR slice: every frame is a keyframe, so a viewer starts at once
  return b;
}

let warm = 0;
let departedSinceWarm = 0;
for (let round = 0; round < ROUNDS; round++) {
  const viewers = Array.from({ length: VIEWERS }, (_, i) => startReceiver(url, `churn-${round}-${i}`));
  for (let i = 0; i < 300 && viewers.some((v) => v.stats.state !== "connected"); i++) await sleep(50);
  for (let frame = 0; frame < 90; frame++) {
    for (let k = 0; k < 6; k++) fanout.onPacket("video", packet("video"));
    if (frame % 3 !== 2) fanout.onPacket("audio", packet("audio"));
    await sleep(33);
  }
  const received = viewers.reduce((n, v) => n + v.stats.video.packets, 0);
  for (const v of viewers) v.close();
  for (let i = 0; i < 100 && signaling.peerCount > 0; i++) await sleep(50);
  for (let i = 0; i < 4; i++) {
    gc();
    await sleep(25);
  }
  const rss = rssMb();
  if (round === 1) warm = rss;
  else if (round > 1) departedSinceWarm += VIEWERS;
  console.log(`round ${round + 1}/${ROUNDS}: ${VIEWERS} viewers received ${received} video packets and left; rss ${rss.toFixed(1)} MB; tracks ${JSON.stringify(trackCounts())}`);
}
const perViewerKb = departedSinceWarm ? ((rssMb() - warm) * 1024) / departedSinceWarm : 0;
console.log(`# warm-up: 2 rounds; then ${departedSinceWarm} viewers left`);
console.log(`edge memory kept per departed webrtc viewer kb: ${Math.max(0, perViewerKb).toFixed(0)}`);
process.exit(0);
