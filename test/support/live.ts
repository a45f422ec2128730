// Real publishers and probes for the live tests.
import { execFile } from "node:child_process";
import { readFileSync, readdirSync, existsSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { createChannel } from "../../lib/channels.ts";
import { makeKey, makeUser, uniq, type TestUser } from "./fixtures.ts";
import { BASE_URL } from "./env.ts";
import { startPublisher, type PublisherProcess } from "./media.ts";
import { compiledEntry, type Role } from "../../scripts/roles.ts";

const run = promisify(execFile);
export const RTMP_PORT = Number(process.env.RTMP_PORT);
export const MEDIA_DIR = process.env.MEDIA_DIR!;
export const RTMP_BASE = `rtmp://127.0.0.1:${RTMP_PORT}`;

export type Publisher = PublisherProcess;

export function publish(key: string, opts: { size?: string; rate?: number; gop?: number; app?: string; bitrate?: string; base?: string } = {}): Publisher {
  const rate = opts.rate ?? 30;
  return startPublisher([
    "-hide_banner", "-loglevel", "error", "-re",
    "-f", "lavfi", "-i", `testsrc2=size=${opts.size ?? "1280x720"}:rate=${rate}`,
    "-f", "lavfi", "-i", "sine=frequency=440",
    "-c:v", "libx264", "-preset", "veryfast", "-g", String(opts.gop ?? rate * 2),
    ...(opts.bitrate ? ["-b:v", opts.bitrate] : []),
    "-c:a", "aac", "-f", "flv", `${opts.base ?? RTMP_BASE}/${opts.app ?? "live"}/${key}`,
  ]);
}

export async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 30_000, everyMs = 250): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last})` : ""}`);
}

export interface LiveChannel {
  owner: TestUser;
  channelId: string;
  slug: string;
  key: string;
  keyId: string;
}

/**
 * The ladder of test channels unless a test asks for another. The instance default
 * (TRANSCODE_LADDER=auto) depends on what the capacity check measured on this
 * machine at that moment, so tests that name rungs pin theirs; tests of the default
 * configuration pass `ladder: ""`.
 */
export const TEST_LADDER = "720p30@2500k|480p30@1200k|360p30@800k";

export async function liveChannel(opts: { graceMinutes?: string; ladder?: string } = {}): Promise<LiveChannel> {
  const owner = await makeUser("streamer");
  const channel = await createChannel(owner.id, {
    slug: `live-${uniq()}`,
    title: "Live test",
    reconnectGraceMinutes: opts.graceMinutes ?? "0",
    ladder: opts.ladder ?? TEST_LADDER,
  });
  const key = await makeKey(owner, channel.id);
  return { owner, channelId: channel.id, slug: channel.slug, key: key.key, keyId: key.id };
}

export async function liveStatus(slug: string): Promise<any> {
  const res = await fetch(`${BASE_URL}/api/live/${slug}`);
  return res.json();
}

export async function waitForLive(slug: string, timeoutMs = 30_000): Promise<{ sessionId: string; hlsUrl: string }> {
  return waitFor(`${slug} to be live`, async () => {
    const s = await liveStatus(slug);
    return s.status === "live" && s.hlsUrl ? s : null;
  }, timeoutMs);
}

export async function getText(url: string): Promise<string> {
  const res = await fetch(new URL(url, BASE_URL));
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.text();
}

export interface Variant {
  uri: string;
  attrs: Record<string, string>;
}

export function parseMaster(text: string): Variant[] {
  const lines = text.trim().split("\n");
  const out: Variant[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith("#EXT-X-STREAM-INF:")) continue;
    const attrs: Record<string, string> = {};
    for (const m of lines[i].slice(18).matchAll(/([A-Z-]+)=("[^"]*"|[^,]*)/g)) attrs[m[1]] = m[2].replace(/^"|"$/g, "");
    out.push({ uri: lines[i + 1], attrs });
  }
  return out;
}

export interface MediaEntry {
  uri: string;
  duration: number;
  pdt?: number;
  discontinuity: boolean;
}

export function parseMedia(text: string): { mediaSequence: number; targetDuration: number; ended: boolean; entries: MediaEntry[] } {
  const lines = text.trim().split("\n");
  const entries: MediaEntry[] = [];
  let pdt: number | undefined;
  let disc = false;
  let duration = 0;
  for (const l of lines) {
    if (l.startsWith("#EXT-X-PROGRAM-DATE-TIME:")) pdt = Date.parse(l.slice(25));
    else if (l === "#EXT-X-DISCONTINUITY") disc = true;
    else if (l.startsWith("#EXTINF:")) duration = Number(l.slice(8).split(",")[0]);
    else if (l && !l.startsWith("#")) {
      entries.push({ uri: l, duration, pdt, discontinuity: disc });
      pdt = undefined;
      disc = false;
    }
  }
  const num = (tag: string) => Number(lines.find((l) => l.startsWith(tag))?.slice(tag.length) ?? NaN);
  return {
    mediaSequence: num("#EXT-X-MEDIA-SEQUENCE:"),
    targetDuration: num("#EXT-X-TARGETDURATION:"),
    ended: lines.includes("#EXT-X-ENDLIST"),
    entries,
  };
}

export async function ffprobe(file: string, extra: string[]): Promise<any> {
  const { stdout } = await run("ffprobe", ["-v", "error", "-of", "json", ...extra, file], { maxBuffer: 64 << 20 });
  return JSON.parse(stdout);
}

export function mediaFile(...parts: string[]): string {
  return path.join(MEDIA_DIR, ...parts);
}

/** ffmpeg processes whose command line mentions `needle` (e.g. a part id). */
export function ffmpegProcesses(needle: string): { pid: number; ppid: number }[] {
  const out: { pid: number; ppid: number }[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, "utf8");
      if (!cmd.startsWith("ffmpeg") || !cmd.includes(needle)) continue;
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      out.push({ pid: Number(d), ppid });
    } catch {}
  }
  return out;
}

export function readLogs(): string {
  const dir = process.env.LH_TEST_LOG_DIR!;
  if (!existsSync(dir)) return "";
  return readdirSync(dir, { withFileTypes: true })
    .filter((f) => f.isFile())
    .map((f) => readFileSync(path.join(dir, f.name), "utf8"))
    .join("\n");
}

/** PIDs of this test stack's processes running `role` (compiled or from source; matched by our Redis prefix). */
export function rolePids(role: Role): number[] {
  const mark = `REDIS_PREFIX=${process.env.REDIS_PREFIX}`;
  const runs = [compiledEntry(role), role.entry];
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const argv = readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0");
      if (!argv.some((a) => runs.some((r) => a.endsWith(r)))) continue;
      if (readFileSync(`/proc/${d}/environ`, "utf8").split("\0").includes(mark)) out.push(Number(d));
    } catch {}
  }
  return out;
}

export async function endStream(owner: { cookie: string }, sessionId: string): Promise<Response> {
  return fetch(new URL(`/api/live-sessions/${sessionId}/end`, BASE_URL), {
    method: "POST",
    headers: { cookie: owner.cookie, origin: new URL(BASE_URL).origin },
  });
}

export async function setGraceSeconds(channelId: string, seconds: number): Promise<void> {
  const { db } = await import("../../lib/db.ts");
  await db().channel.update({ where: { id: channelId }, data: { reconnectGraceSeconds: seconds } });
}

/** Seconds of media ingest received for a part (its last media timestamp minus its first), once the publisher has left. */
export async function receivedSeconds(partId: string): Promise<number> {
  const { readIngestStats } = await import("../../lib/ingestStats.ts");
  const { db } = await import("../../lib/db.ts");
  const stats = await waitFor(`ingest's final record of part ${partId}`, async () => {
    const s = await readIngestStats(partId);
    return s?.finished ? s : null;
  }, 30_000, 100);
  const part = await db().livePart.findUniqueOrThrow({ where: { id: partId } });
  return (stats.receivedMediaMs! - part.timelineOffsetMs) / 1000;
}
