// What a viewer's page and a creator's dashboard are told about a channel's live state.
import { db } from "./db.ts";
import { NotFoundError } from "./errors.ts";
import { liveKey } from "./hls/livePlaylists.ts";
import { currentSession } from "./liveSessions.ts";
import { mediaStore } from "./media/store.ts";
import { redis } from "./redis.ts";

export type PublicStatus = "offline" | "starting" | "live" | "reconnecting";

export interface PublicLive {
  status: PublicStatus;
  sessionId?: string;
  hlsUrl?: string;
  startedAt?: string;
  viewers?: number;
}

const VIEWER_TTL_MS = 20_000;

export async function countViewer(sessionId: string, viewerId: string | null): Promise<number> {
  const key = `viewers:${sessionId}`;
  const now = Date.now();
  const multi = redis().multi();
  if (viewerId && /^[A-Za-z0-9_-]{8,40}$/.test(viewerId)) multi.zadd(key, now, viewerId);
  multi.zremrangebyscore(key, 0, now - VIEWER_TTL_MS);
  multi.zcard(key);
  multi.pexpire(key, VIEWER_TTL_MS * 3);
  const res = await multi.exec();
  return Number(res?.[viewerId ? 2 : 1]?.[1] ?? 0);
}

export async function publicLiveStatus(channelId: string, viewerId: string | null = null): Promise<PublicLive> {
  const session = await currentSession(channelId);
  if (!session) return { status: "offline" };
  const playable = await mediaStore().exists(`${liveKey(session.id)}/master.m3u8`);
  const base = { sessionId: session.id, startedAt: session.startedAt.toISOString() };
  if (!playable) return { status: "starting", ...base };
  return {
    status: session.status === "reconnecting" ? "reconnecting" : "live",
    ...base,
    hlsUrl: `/hls/${liveKey(session.id)}/master.m3u8`,
    viewers: await countViewer(session.id, viewerId),
  };
}

export interface IngestStats {
  partIndex: number;
  connectedAt: number;
  width: number | null;
  height: number | null;
  declaredFps: number | null;
  fps: number | null;
  videoCodec: string | null;
  audioCodec: string | null;
  bitrateKbps: number | null;
  keyframeIntervalSeconds: number | null;
}

export interface DashboardLive extends PublicLive {
  ingest: IngestStats | null;
  segmentSeconds?: number;
  warnings: string[];
}

/** For the channel's owner only (authorised in the query). */
export async function dashboardLiveStatus(userId: string, channelId: string): Promise<DashboardLive> {
  const channel = await db().channel.findFirst({ where: { id: channelId, ownerId: userId }, select: { id: true } });
  if (!channel) throw new NotFoundError("Channel not found");
  const pub = await publicLiveStatus(channel.id);
  if (pub.status === "offline" || !pub.sessionId) return { ...pub, ingest: null, warnings: [] };
  const session = await db().liveSession.findUniqueOrThrow({ where: { id: pub.sessionId }, select: { segmentSeconds: true } });
  const raw = await redis().get(`ingest-stats:${pub.sessionId}`);
  const ingest = raw ? (JSON.parse(raw) as IngestStats) : null;
  const warnings: string[] = [];
  if (ingest?.keyframeIntervalSeconds && ingest.keyframeIntervalSeconds > session.segmentSeconds + 0.05) {
    warnings.push(
      `Your keyframe interval is ${ingest.keyframeIntervalSeconds} s, longer than the ${session.segmentSeconds} s segments: ` +
        `set it to ${session.segmentSeconds} s in OBS (Settings → Output → Keyframe Interval) for lower latency and smooth quality switching.`,
    );
  }
  if (ingest && ingest.videoCodec && !ingest.videoCodec.startsWith("avc1")) {
    warnings.push("Your encoder sends a video codec other than H.264; choose x264 or a hardware H.264 encoder in OBS.");
  }
  return { ...pub, viewers: pub.viewers ?? 0, ingest, segmentSeconds: session.segmentSeconds, warnings };
}
