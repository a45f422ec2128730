// What ingest can tell about a publisher's source from its first messages, and
// whether Livehouse can transcode it. A source we cannot use is refused with a
// reason the creator sees on the dashboard (a retry would not help), instead of
// a session that never plays.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { parseH264Sps } = require("node-media-server/src/protocol/sps_info.js") as {
  parseH264Sps(sps: Buffer): { width: number; height: number } | null;
};

const FLV_VIDEO_CODECS: Record<number, string> = {
  2: "Sorenson H.263",
  3: "Screen Video",
  4: "On2 VP6",
  5: "On2 VP6 with alpha",
  6: "Screen Video 2",
  7: "H.264",
  12: "HEVC",
};
const FLV_AUDIO_CODECS: Record<number, string> = {
  0: "PCM",
  1: "ADPCM",
  2: "MP3",
  3: "PCM",
  4: "Nellymoser",
  5: "Nellymoser",
  6: "Nellymoser",
  7: "G.711 A-law",
  8: "G.711 µ-law",
  10: "AAC",
  11: "Speex",
  14: "MP3 8 kHz",
};
/** Audio ffmpeg decodes from FLV; the rest (and "enhanced RTMP" audio) cannot be transcoded here. */
const DECODABLE_AUDIO = new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 14]);

export interface ObservedSource {
  /** FLV video codec id of the first video message (9 with the enhanced-RTMP bit set is reported as "enhanced"). */
  videoCodecId: number | null;
  enhancedVideo: boolean;
  /** An H.264 sequence header (AVCDecoderConfigurationRecord) arrived. */
  avcHeader: boolean;
  audioCodecId: number | null;
  /** Seconds since the publish began. */
  waitedSeconds: number;
}

export type SourceVerdict = { ok: true } | { ok: false; reason: string } | { ok: "wait" };

const H264_ADVICE = "Set your encoder to H.264 (in OBS: Settings → Output → Encoder: x264 or a hardware H.264 encoder).";

/** Pure: can this source be transcoded, must we wait for more, or is it refused (and why)? */
export function judgeSource(s: ObservedSource, maxWaitSeconds: number): SourceVerdict {
  if (s.enhancedVideo) return { ok: false, reason: `The video codec (HEVC, AV1 or VP9 over enhanced RTMP) is not supported. ${H264_ADVICE}` };
  if (s.videoCodecId !== null && s.videoCodecId !== 7) {
    const name = FLV_VIDEO_CODECS[s.videoCodecId] ?? `FLV video codec ${s.videoCodecId}`;
    return { ok: false, reason: `The video codec ${name} is not supported. ${H264_ADVICE}` };
  }
  if (s.audioCodecId !== null && !DECODABLE_AUDIO.has(s.audioCodecId)) {
    const name = s.audioCodecId === 9 ? "enhanced-RTMP audio (Opus, AC-3, FLAC)" : (FLV_AUDIO_CODECS[s.audioCodecId] ?? `FLV audio codec ${s.audioCodecId}`);
    return { ok: false, reason: `The audio codec ${name} is not supported. Set your encoder's audio to AAC.` };
  }
  if (s.avcHeader) return { ok: true };
  if (s.waitedSeconds >= maxWaitSeconds) {
    return s.videoCodecId === null
      ? { ok: false, reason: `The stream has no video (nothing arrived within ${maxWaitSeconds} s). Audio-only streams are not supported; add a video source.` }
      : { ok: false, reason: `The H.264 stream never sent its decoder configuration within ${maxWaitSeconds} s. Restart the stream in your encoder.` };
  }
  return { ok: "wait" };
}

/** Picture size from an FLV AVC sequence header's first SPS, for encoders that send no metadata. */
export function avcDimensionsFromFlvSequenceHeader(body: Buffer): { width: number; height: number } | null {
  // FLV video tag: [frame/codec][AVCPacketType][CTS×3] then AVCDecoderConfigurationRecord:
  // version, profile, compat, level, lengthSize, numSPS, spsLength(2), SPS…
  if (body.length < 14 || (body[0] & 0x0f) !== 7 || body[1] !== 0 || (body[10] & 0x1f) < 1) return null;
  const len = body.readUInt16BE(11);
  if (13 + len > body.length) return null;
  try {
    return parseH264Sps(body.subarray(13, 13 + len));
  } catch {
    return null;
  }
}
