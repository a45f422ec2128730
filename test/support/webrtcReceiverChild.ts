// The child of webrtcReceiverProcess.ts: one receiver, its stats as a JSON line
// every 100 ms on stdout, until stdin closes; then out without node-datachannel's
// teardown (whatever the native side does at exit is of no interest to the test).
import { startReceiver } from "./webrtcReceiver.ts";

const [url, name] = process.argv.slice(2);
const r = startReceiver(url, name);
const snapshot = () => {
  const s = r.stats;
  const c = (x: typeof s.video) => ({ ...x, ssrcs: [...x.ssrcs] });
  process.stdout.write(`${JSON.stringify({ ...s, video: c(s.video), audio: c(s.audio) })}\n`);
};
const timer = setInterval(snapshot, 100);
process.stdin.resume();
process.stdin.on("end", () => {
  clearInterval(timer);
  snapshot();
  r.close();
  process.exit(0);
});
