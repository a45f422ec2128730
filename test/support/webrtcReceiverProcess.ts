// A headless WebRTC viewer (webrtcReceiver.ts) in a process of its own. Tearing
// down node-datachannel can crash the process that used it (a native fault at
// exit, seen under load); a test file that did so fails as a whole even when every
// test in it passed. Here the crash, if any, is the child's, after the test has
// what it needs.
import { spawn } from "node:child_process";
import path from "node:path";
import type { ReceiverStats } from "./webrtcReceiver.ts";

const CHILD = path.join(import.meta.dirname, "webrtcReceiverChild.ts");

/** What startReceiver returns, with `stats` refreshed from the child a few times a second. */
export function startReceiverProcess(url: string, name: string): { stats: ReceiverStats; close: () => void } {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, url, name], { stdio: ["pipe", "pipe", "inherit"] });
  const empty = () => ({ packets: 0, bytes: 0, ssrcs: new Set<number>(), lost: 0, reordered: 0, tsBackwards: 0, lastSeq: null, lastTs: null, rtcp: 0, maxTsJump: 0 });
  const holder = { stats: { state: "new", video: empty(), audio: empty(), keyframes: 0, errors: [], restarts: 0 } as ReceiverStats };
  let buf = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    buf += chunk.toString();
    const lines = buf.split("\n");
    buf = lines.pop() ?? "";
    for (const line of lines) {
      try {
        const s = JSON.parse(line);
        s.video.ssrcs = new Set(s.video.ssrcs);
        s.audio.ssrcs = new Set(s.audio.ssrcs);
        Object.assign(holder.stats, s);
      } catch {}
    }
  });
  child.on("exit", (code, signal) => {
    if (holder.stats.state !== "closed") holder.stats.errors.push(`receiver process exited (${signal ?? code}) before close`);
  });
  return {
    get stats() {
      return holder.stats;
    },
    close: () => {
      holder.stats.state = "closed";
      child.stdin!.end();
      setTimeout(() => child.kill("SIGKILL"), 3000).unref();
    },
  };
}
