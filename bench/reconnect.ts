// npm run bench:reconnect — after a publisher drops and comes back within the
// reconnect window, how long until the new part's first segment is listed in the
// live playlist (the slate gives way to the stream again)? Measured from the
// reconnect's first media reaching ingest, over several reconnects, with the
// production segment length (2 s; BENCH_SEGMENT_SECONDS) and OBS's recommended
// 2 s keyframe interval. A segment is listed once it is complete, so the figure
// is the segment length plus what the pipeline adds.
import { benchStack } from "./stack.ts";
import { cachedSource, publishFile } from "../test/support/media.ts";

const RECONNECTS = Number(process.env.BENCH_RECONNECTS ?? 5);
const SEGMENT = Number(process.env.BENCH_SEGMENT_SECONDS ?? 2);
const stack = await benchStack("benchrc", { segmentSeconds: SEGMENT });
const { db } = await import("../lib/db.ts");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function poll<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 60_000, everyMs = 20): Promise<T> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const v = await fn().catch(() => null);
    if (v) return v;
    await sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what}`);
}

try {
  console.log(`# ${SEGMENT} s segments; the publisher's keyframe interval is ${SEGMENT} s`);
  const source = await cachedSource({ width: 1280, height: 720, fps: 30, seconds: 10, audio: { sampleRate: 48000, channels: 2 }, keyframeSeconds: SEGMENT });
  const channel = await stack.channel("bench-rc", { graceMinutes: "5" });
  const key = channel.key;
  const url = `rtmp://127.0.0.1:${stack.env.RTMP_PORT}/live/${key}`;
  const status = async () => (await fetch(`${stack.baseUrl}/api/live/bench-rc`)).json();

  let pub = publishFile(source, url, { seconds: 6 });
  const { sessionId, hlsUrl } = await poll("live", async () => {
    const s = await status();
    return s.status === "live" && s.hlsUrl ? s : null;
  });
  const top = new URL(`${stack.baseUrl}${hlsUrl}`);
  const playlist = new URL((await (await fetch(top)).text()).split("\n").find((l) => l && !l.startsWith("#"))!, top);
  const delays: number[] = [];
  for (let i = 1; i <= RECONNECTS; i++) {
    await pub.exited;
    await poll("reconnecting", async () => (await status()).status === "reconnecting");
    await sleep(3000); // the slate plays a little
    pub = publishFile(source, url, { seconds: 6 });
    await poll(`part ${i}'s first segment`, async () => (await (await fetch(playlist)).text()).includes(`p${i}e`));
    const listedAt = Date.now();
    const part = await db().livePart.findFirstOrThrow({ where: { sessionId, index: i } });
    const delay = (listedAt - part.startedAt.getTime()) / 1000;
    delays.push(delay);
    console.log(`reconnect ${i}: first new segment listed ${delay.toFixed(2)} s after its first media reached ingest`);
  }
  await pub.stop();
  console.log(`reconnect to first new segment seconds: min ${Math.min(...delays).toFixed(2)}, max ${Math.max(...delays).toFixed(2)}`);
  console.log(`reconnect to first new segment seconds (p50): ${median(delays).toFixed(2)}`);
} finally {
  await stack.shutdown();
}
process.exit(0);
