// An ffmpeg of an earlier attempt may outlive its worker (SIGKILL of a worker
// does not reach its children). Each transcode records its ffmpeg's host and
// pid; a takeover on the same host kills a leftover before starting its own.
import { readFile } from "node:fs/promises";
import os from "node:os";
import { logger } from "../../lib/log.ts";
import { REDIS_KEY } from "../../lib/redisKeys.ts";
import { redis } from "../../lib/redis.ts";

const log = logger("worker");

export async function recordTranscodeProcess(partId: string, pid: number | undefined, epoch: number): Promise<void> {
  await redis().set(REDIS_KEY.transcodeProcess(partId), JSON.stringify({ host: os.hostname(), pid, epoch }), "EX", 86400);
}

export async function killLeftoverFfmpeg(partId: string): Promise<void> {
  const raw = await redis().get(REDIS_KEY.transcodeProcess(partId));
  if (!raw) return;
  const { host, pid } = JSON.parse(raw) as { host: string; pid: number };
  if (host !== os.hostname() || !pid) return;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
  if (!cmdline.includes(partId)) return;
  log.warn("killing the ffmpeg of an earlier attempt", { part: partId, pid });
  try {
    process.kill(pid, "SIGKILL");
  } catch {}
  for (let i = 0; i < 50; i++) {
    if (!(await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => ""))) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}
