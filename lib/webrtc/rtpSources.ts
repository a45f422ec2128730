// The protocol between a worker's live ffmpeg and the edges: ffmpeg sends every live
// session's WebRTC rendition as RTP to its worker's relay (workers/live/rtpRelay.ts),
// which passes it to ONE UDP port on every edge; each track has an SSRC the worker
// drew for that run and registered here first, and an edge looks an unknown SSRC up
// to learn which session and track it carries. A new run (takeover, restart,
// reconnect) draws new SSRCs, which the edge sees as a new source epoch. ffmpeg's
// RTCP goes to the same port as its RTP and is dropped (isRtcp).
import { randomInt } from "node:crypto";
import { redis } from "../redis.ts";
import { REDIS_KEY } from "../redisKeys.ts";

export type RtpTrackKind = "video" | "audio";

export interface RtpSourceInfo {
  sessionId: string;
  kind: RtpTrackKind;
}

/** RTP payload types on the wire, the same numbers the edge offers to browsers. */
export const RTP_PAYLOAD_TYPE = { video: 96, audio: 111 } as const;
export const RTP_CLOCK_RATE = { video: 90_000, audio: 48_000 } as const;
/** Largest RTP packet ffmpeg may send: fits a 1280-byte WebRTC path after SRTP overhead. */
export const RTP_PACKET_SIZE = 1200;

// Longer than any stream runs between two transcode runs (each registers anew).
const SOURCE_TTL_SECONDS = 7 * 24 * 3600;

/** RTCP packet types (SR, RR, SDES, BYE, APP) sit where RTP has marker and payload type. */
export function isRtcp(packet: Buffer): boolean {
  return packet.length >= 2 && packet[1] >= 200 && packet[1] <= 204;
}

export interface RtpSsrcs {
  video: number;
  audio: number;
}

/** Draws and registers the SSRCs of one transcode run's WebRTC tracks. */
export async function registerRtpSources(sessionId: string): Promise<RtpSsrcs> {
  const video = randomInt(1, 0x7fffffff);
  let audio = randomInt(1, 0x7fffffff);
  if (audio === video) audio ^= 1;
  await redis()
    .multi()
    .set(REDIS_KEY.rtpSource(video), JSON.stringify({ sessionId, kind: "video" } satisfies RtpSourceInfo), "EX", SOURCE_TTL_SECONDS)
    .set(REDIS_KEY.rtpSource(audio), JSON.stringify({ sessionId, kind: "audio" } satisfies RtpSourceInfo), "EX", SOURCE_TTL_SECONDS)
    .exec();
  return { video, audio };
}

export async function lookupRtpSource(ssrc: number): Promise<RtpSourceInfo | null> {
  const raw = await redis().get(REDIS_KEY.rtpSource(ssrc));
  if (!raw) return null;
  try {
    const v = JSON.parse(raw) as RtpSourceInfo;
    return typeof v.sessionId === "string" && (v.kind === "video" || v.kind === "audio") ? v : null;
  } catch {
    return null;
  }
}
