// A scriptable RTMP client (node-media-server's own), able to connect from a
// chosen loopback address so tests can act as different clients.
import net from "node:net";
import { createRequire } from "node:module";
import { RTMP_PORT } from "./live.ts";

const require = createRequire(import.meta.url);
const RtmpClient = require("node-media-server/src/protocol/rtmp_client.js");

export interface RtmpAttempt {
  /** Whether the server answered NetStream.Publish.Start / Play.Start before anything else. */
  started: boolean;
  /** ms from the command until the server closed the connection (null: still open after the wait). */
  closedAfterMs: number | null;
  /** Bytes of media the server sent (plays only). */
  mediaBytes: number;
  error?: string;
}

/** Runs fn with every new connection made from `localAddress`, and starting with `preface` (a PROXY header) when given. */
function withLocalAddress<T>(localAddress: string | undefined, fn: () => T, preface?: Buffer): T {
  if (!localAddress && !preface) return fn();
  const original = net.createConnection;
  (net as any).createConnection = (opts: any, ...rest: any[]) => {
    const socket = original(localAddress ? { ...opts, localAddress } : opts, ...rest);
    if (preface) socket.write(preface);
    return socket;
  };
  try {
    return fn();
  } finally {
    (net as any).createConnection = original;
  }
}

/** Connect, then publish or play `app/name`, and watch what the server does for `waitMs`. */
export async function rtmpAttempt(
  mode: "publish" | "play",
  app: string,
  name: string,
  opts: { localAddress?: string; waitMs?: number; tcUrl?: string; proxyHeader?: Buffer } = {},
): Promise<RtmpAttempt> {
  const client = new RtmpClient();
  let closedAt: number | null = null;
  let mediaBytes = 0;
  client.onCloseCallback = () => (closedAt ??= Date.now());
  client.onErrorCallback = () => {};
  client.onPacketCallback = (p: { size: number; codec_type: number }) => {
    if (p.codec_type === 8 || p.codec_type === 9) mediaBytes += p.size ?? 0;
  };
  const url = `rtmp://127.0.0.1:${RTMP_PORT}/${app}/${name}`;
  let started = false;
  let commandAt = Date.now();
  try {
    await withLocalAddress(opts.localAddress, () => client.connect(url), opts.proxyHeader);
    if (opts.tcUrl !== undefined) client.baseUri = opts.tcUrl;
    await Promise.race([client.sendConnect(), new Promise((_, rej) => setTimeout(() => rej(new Error("connect timeout")), 3000))]);
    await client.sendCreateStream();
    commandAt = Date.now();
    const answer = mode === "publish" ? client.sendPublish(name) : client.sendPlay(name);
    await Promise.race([answer.then(() => (started = true)), new Promise((r) => setTimeout(r, 1000))]).catch(() => {});
  } catch (err) {
    return { started, closedAfterMs: closedAt ? closedAt - commandAt : 0, mediaBytes, error: (err as Error).message };
  }
  const until = Date.now() + (opts.waitMs ?? 2000);
  while (closedAt === null && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  const result = { started, closedAfterMs: closedAt === null ? null : closedAt - commandAt, mediaBytes };
  try {
    client.socket?.destroy();
  } catch {}
  return result;
}
