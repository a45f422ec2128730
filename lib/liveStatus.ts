// What a viewer's page and a creator's dashboard are told about a channel's live state.
import { createHash } from "node:crypto";
import { config } from "./config.ts";
import { db } from "./db.ts";
import { NotFoundError } from "./errors.ts";
import { liveKey } from "./hls/livePlaylists.ts";
import { readIngestStats, type IngestStats } from "./ingestStats.ts";
import { describeHealth, readTranscodeHealth } from "./live/transcodeHealth.ts";
import { mediaStore } from "./media/store.ts";
import { REDIS_KEY } from "./redisKeys.ts";
import { redis } from "./redis.ts";

export type PublicStatus = "offline" | "starting" | "live" | "reconnecting";

export interface PublicLive {
  status: PublicStatus;
  sessionId?: string;
  hlsUrl?: string;
  startedAt?: string;
  viewers?: number;
  /** The session has ended but its last media is still being transcoded: players play on to the end. */
  finishing?: boolean;
  /** Offline because the last stream could not be shown (first sentence of the reason). */
  problem?: string;
  /** Low-latency playback: the signaling path on this site (/ws/<channel>), when the channel offers it. */
  webrtc?: { path: string; iceServers?: { urls: string | string[]; username?: string; credential?: string }[] };
}

const VIEWER_TTL_MS = 20_000;
/** An ended session whose transcode is still listing stays on air this long at most. */
const FINISHING_MAX_MS = 6 * 3600 * 1000;
/** A stream problem is shown on the channel page for this long. */
const PUBLIC_PROBLEM_MS = 30 * 60 * 1000;

/** Viewer ids one client address may add to a session's count (a household, a small office behind one NAT). */
export const MAX_VIEWERS_PER_ADDRESS = 10;

/**
 * Counts the page's heartbeat and returns the session's viewers. Anyone can make up
 * viewer ids, so each client address counts at most MAX_VIEWERS_PER_ADDRESS of them;
 * the address itself is kept only as a salted hash, for the viewer TTL.
 */
export async function countViewer(sessionId: string, viewerId: string | null, clientAddress = "unknown"): Promise<number> {
  const key = REDIS_KEY.viewers(sessionId);
  const now = Date.now();
  if (viewerId && /^[A-Za-z0-9_-]{8,40}$/.test(viewerId)) {
    const addressHash = createHash("sha256").update(`${sessionId}|${clientAddress}`).digest("hex").slice(0, 16);
    const mine = REDIS_KEY.viewersOfAddress(sessionId, addressHash);
    const [, known, count] = ((await redis().multi().zremrangebyscore(mine, 0, now - VIEWER_TTL_MS).zscore(mine, viewerId).zcard(mine).exec()) ?? []).map((r) => r?.[1]);
    if (known !== null || Number(count) < MAX_VIEWERS_PER_ADDRESS) {
      await redis().multi().zadd(mine, now, viewerId).pexpire(mine, VIEWER_TTL_MS * 3).zadd(key, now, `${addressHash}:${viewerId}`).exec();
    }
  }
  const res = await redis().multi().zremrangebyscore(key, 0, now - VIEWER_TTL_MS).zcard(key).pexpire(key, VIEWER_TTL_MS * 3).exec();
  return Number(res?.[1]?.[1] ?? 0);
}

/** The session a channel shows: live or reconnecting, or ended with media still being listed. */
async function sessionOnAir(channelId: string) {
  return db().liveSession.findFirst({
    where: {
      channelId,
      OR: [{ status: { not: "ended" } }, { playlistsClosedAt: null, endedAt: { gt: new Date(Date.now() - FINISHING_MAX_MS) } }],
    },
    orderBy: { startedAt: "desc" },
    include: { parts: { orderBy: { index: "desc" }, take: 1 }, channel: { select: { slug: true, webrtcEnabled: true } } },
  });
}

function firstSentence(text: string): string {
  const m = /^.*?[.!?](\s|$)/.exec(text);
  return (m ? m[0] : text).trim();
}

export async function publicLiveStatus(channelId: string, viewerId: string | null = null, clientAddress?: string): Promise<PublicLive> {
  const session = await sessionOnAir(channelId);
  if (!session) {
    const channel = await db().channel.findUnique({ where: { id: channelId }, select: { streamProblem: true, streamProblemAt: true } });
    const recent = channel?.streamProblem && channel.streamProblemAt && Date.now() - channel.streamProblemAt.getTime() < PUBLIC_PROBLEM_MS;
    return recent ? { status: "offline", problem: firstSentence(channel.streamProblem!) } : { status: "offline" };
  }
  const playable = await mediaStore().exists(`${liveKey(session.id)}/master.m3u8`);
  const finishing = session.status === "ended";
  if (finishing && !playable) return { status: "offline" };
  const base = { sessionId: session.id, startedAt: session.startedAt.toISOString(), ...(finishing ? { finishing: true } : {}) };
  if (!playable) return { status: "starting", ...base };
  return {
    status: session.status === "reconnecting" ? "reconnecting" : "live",
    ...base,
    hlsUrl: `/hls/${liveKey(session.id)}/master.m3u8`,
    viewers: await countViewer(session.id, viewerId, clientAddress),
    ...(config.webrtcEnabled && session.channel.webrtcEnabled && !finishing ? { webrtc: webrtcOffer(session.channel.slug) } : {}),
  };
}

function webrtcOffer(slug: string): NonNullable<PublicLive["webrtc"]> {
  const iceServers = config.webrtcIceServers;
  // TURN servers only when configured; the edge's offer never carries any (OvenPlayer would then use relays only).
  return { path: `/ws/${slug}`, ...(iceServers.length ? { iceServers } : {}) };
}

export interface TranscodeStatus {
  speed: number | null;
  lagSeconds: number | null;
  behind: boolean;
  draining: boolean;
  level: number;
  preset: string;
  dropped: string[];
  /** "The server cannot keep up: …", while it lasts. */
  warning: string | null;
  /** What the overload policy changed, and why. */
  changes: string | null;
}

export interface DashboardLive extends PublicLive {
  ingest: IngestStats | null;
  transcode: TranscodeStatus | null;
  segmentSeconds?: number;
  warnings: string[];
  /** Why the channel's last stream could not go live or stopped (creator-facing), until a stream plays. */
  streamProblem: string | null;
}

/** For the channel's owner only (authorised in the query). */
export async function dashboardLiveStatus(userId: string, channelId: string): Promise<DashboardLive> {
  const channel = await db().channel.findFirst({ where: { id: channelId, ownerId: userId }, select: { id: true, streamProblem: true } });
  if (!channel) throw new NotFoundError("Channel not found");
  const pub = await publicLiveStatus(channel.id);
  const streamProblem = channel.streamProblem;
  if (pub.status === "offline" || !pub.sessionId) return { ...pub, ingest: null, transcode: null, warnings: [], streamProblem };
  const session = await db().liveSession.findUniqueOrThrow({
    where: { id: pub.sessionId },
    select: { segmentSeconds: true, parts: { orderBy: { index: "desc" }, take: 1, select: { id: true } } },
  });
  const partId = session.parts[0]?.id;
  const [ingest, health] = await Promise.all([partId ? readIngestStats(partId) : null, readTranscodeHealth(pub.sessionId)]);
  const warnings: string[] = [];
  if (ingest?.keyframeIntervalSeconds && ingest.keyframeIntervalSeconds > session.segmentSeconds + 0.05) {
    warnings.push(
      `Your keyframe interval is ${ingest.keyframeIntervalSeconds} s, longer than the ${session.segmentSeconds} s segments: ` +
        `set it to ${session.segmentSeconds} s in OBS (Settings → Output → Keyframe Interval) for lower latency and smooth quality switching.`,
    );
  }
  if (ingest && !ingest.finished && ingest.sendSpeed !== null && ingest.sendSpeed < 0.95) {
    warnings.push(
      `Your encoder is sending only ${ingest.sendSpeed.toFixed(2)}× real time: the computer running OBS is overloaded. ` +
        "Lower the output resolution or frame rate, or choose a faster encoder preset in OBS.",
    );
  }
  const described = health ? describeHealth(health) : null;
  const transcode: TranscodeStatus | null = health
    ? {
        speed: health.speed,
        lagSeconds: health.lagSeconds,
        behind: health.behind,
        draining: health.draining,
        level: health.level,
        preset: health.preset,
        dropped: health.dropped,
        warning: described!.warning,
        changes: described!.changes,
      }
    : null;
  return { ...pub, viewers: pub.viewers ?? 0, ingest: ingest && !ingest.finished ? ingest : null, transcode, segmentSeconds: session.segmentSeconds, warnings, streamProblem };
}
