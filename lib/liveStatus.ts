// What a viewer's page and a creator's dashboard are told about a channel's live state.
import { config } from "./config.ts";
import { db } from "./db.ts";
import { NotFoundError } from "./errors.ts";
import { MEDIA_KEY, mediaUrl } from "./media/layout.ts";
import { encoderTooSlow, readIngestStats, type IngestStats } from "./ingestStats.ts";
import { describeHealth, readTranscodeHealth } from "./live/transcodeHealth.ts";
import { STORAGE_FULL_MESSAGE, storageFull } from "./media/storageHealth.ts";
import { mediaStore } from "./media/store.ts";
import { sessionStatsView, type SessionStatsView } from "./stats/statsView.ts";
import { countViewer } from "./viewers.ts";

// Viewer counting lives in viewers.ts; these names are kept for the roles that import them from here.

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

/** An ended session whose transcode is still listing stays on air this long at most. */
export const FINISHING_MAX_MS = 6 * 3600 * 1000;
/** A stream problem is shown on the channel page for this long. */
const PUBLIC_PROBLEM_MS = 30 * 60 * 1000;

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

// Every viewer's page polls the live status: with media in a bucket, asking the store each
// time would be a request per viewer every few seconds. A master playlist, once written, stays
// for the whole session, so a yes is remembered; a no is asked again after a moment.
const masterSeen = new Set<string>();
const masterMissing = new Map<string, number>();
const MISSING_RECHECK_MS = 1000;

async function hasMasterPlaylist(sessionId: string): Promise<boolean> {
  if (masterSeen.has(sessionId)) return true;
  const until = masterMissing.get(sessionId);
  if (until !== undefined && until > Date.now()) return false;
  const exists = (await mediaStore().size(MEDIA_KEY.master(sessionId))) !== null;
  if (masterSeen.size > 10_000) masterSeen.clear();
  if (masterMissing.size > 10_000) masterMissing.clear();
  if (exists) {
    masterSeen.add(sessionId);
    masterMissing.delete(sessionId);
  } else masterMissing.set(sessionId, Date.now() + MISSING_RECHECK_MS);
  return exists;
}

export async function publicLiveStatus(channelId: string, viewerId: string | null = null, clientAddress?: string): Promise<PublicLive> {
  const session = await sessionOnAir(channelId);
  if (!session) {
    const channel = await db().channel.findUnique({ where: { id: channelId }, select: { streamProblem: true, streamProblemAt: true } });
    const recent = channel?.streamProblem && channel.streamProblemAt && Date.now() - channel.streamProblemAt.getTime() < PUBLIC_PROBLEM_MS;
    return recent ? { status: "offline", problem: firstSentence(channel.streamProblem!) } : { status: "offline" };
  }
  const playable = await hasMasterPlaylist(session.id);
  const finishing = session.status === "ended";
  if (finishing && !playable) return { status: "offline" };
  const base = { sessionId: session.id, startedAt: session.startedAt.toISOString(), ...(finishing ? { finishing: true } : {}) };
  if (!playable) return { status: "starting", ...base };
  return {
    status: session.status === "reconnecting" ? "reconnecting" : "live",
    ...base,
    hlsUrl: mediaUrl(MEDIA_KEY.master(session.id)),
    // After the end the last minutes still play: watched, but no longer counted in the session's figures.
    viewers: await countViewer(session.id, viewerId, clientAddress, { record: !finishing }),
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
  /** The session's statistics so far: viewer graph and figures. */
  stats: SessionStatsView | null;
}

/** For the channel's owner only (authorised in the query). */
export async function dashboardLiveStatus(userId: string, channelId: string): Promise<DashboardLive> {
  const channel = await db().channel.findFirst({ where: { id: channelId, ownerId: userId }, select: { id: true, streamProblem: true } });
  if (!channel) throw new NotFoundError("Channel not found");
  const pub = await publicLiveStatus(channel.id);
  const streamProblem = channel.streamProblem;
  if (pub.status === "offline" || !pub.sessionId) return { ...pub, ingest: null, transcode: null, warnings: [], streamProblem, stats: null };
  const session = await db().liveSession.findUniqueOrThrow({
    where: { id: pub.sessionId },
    select: { segmentSeconds: true, parts: { orderBy: { index: "desc" }, take: 1, select: { id: true } } },
  });
  const partId = session.parts[0]?.id;
  const [ingest, health, stats] = await Promise.all([partId ? readIngestStats(partId) : null, readTranscodeHealth(pub.sessionId), sessionStatsView(pub.sessionId)]);
  const warnings: string[] = [];
  if (ingest?.keyframeIntervalSeconds && ingest.keyframeIntervalSeconds > session.segmentSeconds + 0.05) {
    warnings.push(
      `Your keyframe interval is ${ingest.keyframeIntervalSeconds} s, longer than the ${session.segmentSeconds} s segments: ` +
        `set it to ${session.segmentSeconds} s in OBS (Settings → Output → Keyframe Interval) for lower latency and smooth quality switching.`,
    );
  }
  if (ingest && !ingest.finished && encoderTooSlow(ingest)) {
    warnings.push(
      `Your encoder is sending only ${ingest.sendSpeed!.toFixed(2)}× real time: the computer running OBS is overloaded. ` +
        "Lower the output resolution or frame rate, or choose a faster encoder preset in OBS.",
    );
  }
  const full = await storageFull();
  if (full) warnings.push(STORAGE_FULL_MESSAGE);
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
  return { ...pub, viewers: pub.viewers ?? 0, ingest: ingest && !ingest.finished ? ingest : null, transcode, segmentSeconds: session.segmentSeconds, warnings, streamProblem, stats };
}
