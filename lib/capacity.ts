// The instance's default ladder. TRANSCODE_LADDER=auto (the default) means: the
// richest ladder this machine keeps up with, measured by the workers when they
// start (workers/capacityCheck.ts runs the real ladder command on a 1080p30 clip
// and times it). Each worker host publishes what it measured; sessions get the
// ladder of the weakest host, since any worker may run any stream.
import { config } from "./config.ts";
import { dropTopRungs } from "./ffmpeg/masterFit.ts";
import { formatLadder, parseLadder, type Ladder } from "./ladder.ts";
import { REDIS_KEY } from "./redisKeys.ts";
import { redis } from "./redis.ts";

/** What "auto" chooses from: these rungs, dropping the most expensive first. */
export const STANDARD_LADDER = "1080p30@6000k|720p30@2500k|480p30@1200k|360p30@800k";
/** Until a worker has measured anything. */
export const FALLBACK_LADDER = "720p30@2500k|480p30@1200k|360p30@800k";
/** A candidate must run at least this fast on an idle machine: the rest is headroom for the platform, viewers and harder content. */
export const TARGET_SPEED = 1.3;
/** Profiles older than this are measured again. */
export const PROFILE_MAX_AGE_MS = 30 * 24 * 3600 * 1000;
const REDIS_PROFILE_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

export interface CapacityProfile {
  host: string;
  /** What the measurement depends on: a change of any of these means measuring again. */
  fingerprint: string;
  cores: number;
  preset: string;
  measuredAt: number;
  /** Speeds measured (×real time on a 1080p30 source), richest ladder first; measuring stops at the first fast enough. */
  candidates: { ladder: string; speed: number }[];
  chosen: string;
}

/** The standard ladder and its cheaper variants, richest first. */
export function ladderCandidates(ladder: Ladder = parseLadder(STANDARD_LADDER)): Ladder[] {
  const out: Ladder[] = [];
  for (let n = 0; n < ladder.rungs.length; n++) out.push(dropTopRungs(ladder, n));
  return out;
}

/** Pure: the first (richest) candidate measured at TARGET_SPEED or faster; the cheapest if none is. */
export function chooseLadder(measured: { ladder: string; speed: number }[], target = TARGET_SPEED): string {
  return measured.find((m) => m.speed >= target)?.ladder ?? measured[measured.length - 1]?.ladder ?? FALLBACK_LADDER;
}

export async function publishCapacity(profile: CapacityProfile): Promise<void> {
  await redis().hset(REDIS_KEY.capacity(), profile.host, JSON.stringify(profile));
}

export async function capacityProfiles(): Promise<CapacityProfile[]> {
  const all = await redis().hgetall(REDIS_KEY.capacity());
  const out: CapacityProfile[] = [];
  for (const raw of Object.values(all)) {
    try {
      const p = JSON.parse(raw) as CapacityProfile;
      if (Date.now() - p.measuredAt < REDIS_PROFILE_MAX_AGE_MS) out.push(p);
    } catch {}
  }
  return out;
}

/** True when TRANSCODE_LADDER asks for the measured default. */
export function ladderIsAuto(): boolean {
  return config.transcodeLadder.trim().toLowerCase() === "auto";
}

/** The ladder a new session gets when its channel sets none. */
export async function instanceDefaultLadder(): Promise<Ladder> {
  if (!ladderIsAuto()) return parseLadder(config.transcodeLadder);
  const profiles = await capacityProfiles();
  if (profiles.length === 0) return parseLadder(FALLBACK_LADDER);
  // The weakest host decides: the fewest rungs any host chose.
  const chosen = profiles.map((p) => parseLadder(p.chosen)).sort((a, b) => a.rungs.length - b.rungs.length)[0];
  return chosen;
}

/** For the dashboard and the channel form: the default and how it was chosen. */
export async function describeDefaultLadder(): Promise<{ ladder: string; how: string }> {
  const ladder = formatLadder(await instanceDefaultLadder());
  if (!ladderIsAuto()) return { ladder, how: "set by the server's TRANSCODE_LADDER" };
  const profiles = await capacityProfiles();
  if (profiles.length === 0) return { ladder, how: "no worker has measured this server yet" };
  const weakest = profiles.find((p) => p.chosen === ladder) ?? profiles[0];
  const speed = weakest.candidates.find((c) => c.ladder === ladder)?.speed;
  return { ladder, how: `measured on ${weakest.cores} cores${speed ? ` (${speed.toFixed(2)}× real time for a 1080p30 source)` : ""}` };
}
