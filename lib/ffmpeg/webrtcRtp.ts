// The WebRTC rendition of the live transcode, as command pieces: no second decode and
// no second video encode. One rung's encoded video (already WebRTC-ready: H.264
// without B-frames, keyframes every segment) goes through ffmpeg's tee muxer to both
// its HLS segments and an RTP output; the audio is encoded once more, to Opus, which
// WebRTC requires. Both RTP outputs tolerate failure (onfail=ignore): the relay or an edge
// being away must never cost the HLS rendition a frame. Pure; liveLadder.ts assembles it.
import type { FfmpegOutput } from "./spec.ts";
import type { Rendition } from "./liveLadder.ts";
import { RTP_PACKET_SIZE, RTP_PAYLOAD_TYPE, type RtpSsrcs } from "../webrtc/rtpSources.ts";

export interface WebrtcTarget {
  /** Where ffmpeg sends RTP and RTCP: its worker's relay, which passes it to the edges. */
  host: string;
  port: number;
  ssrcs: RtpSsrcs;
}

/** WebRTC viewers get the largest encoded rung up to 720p (short side), else the smallest one. */
export function webrtcRendition(renditions: Rendition[]): Rendition | null {
  const encoded = renditions.filter((r) => !r.passthrough);
  if (encoded.length === 0) return null;
  const fits = encoded.filter((r) => Math.min(r.width, r.height) <= 720);
  const pick = fits.length ? fits : encoded;
  return pick.reduce((best, r) => (r.width * r.height > best.width * best.height ? r : best), pick[0]);
}

const TEE_SPECIAL = /[\\:|[\]=']/;

function teeValue(v: string): string {
  if (TEE_SPECIAL.test(v)) throw new Error(`"${v}" cannot be passed through ffmpeg's tee muxer (it holds one of \\ : | [ ] = ')`);
  return v;
}

/** ["-f", "segment", "-segment_time", "2", …] and a target → "[f=segment:segment_time=2:…]target". */
export function teeSlave(muxerOptions: string[], target: string): string {
  const pairs: string[] = [];
  for (let i = 0; i < muxerOptions.length; i += 2) pairs.push(`${muxerOptions[i].replace(/^-/, "")}=${teeValue(muxerOptions[i + 1])}`);
  if (/[|[\]]/.test(target)) throw new Error(`"${target}" cannot be a tee muxer target`);
  return `[${pairs.join(":")}]${target}`;
}

const rtpUrl = (t: WebrtcTarget) => `rtp://${t.host}:${t.port}?pkt_size=${RTP_PACKET_SIZE}&rtcpport=${t.port}`;

function rtpSlave(t: WebrtcTarget, kind: "video" | "audio"): string {
  return `[f=rtp:${kind === "video" ? "select=v:" : ""}onfail=ignore:ssrc=${t.ssrcs[kind]}:payload_type=${RTP_PAYLOAD_TYPE[kind]}]${rtpUrl(t)}`;
}

/**
 * The WebRTC rung's output: its codec options, then a tee of its segment muxer and the
 * video RTP. `segment.options` are the segment muxer's; -muxdelay/-muxpreload are left
 * out, as the tee's slaves start at the delay those set to 0.
 */
export function teeWithRtpVideo(codecOptions: string[], segment: { target: string; options: string[] }, t: WebrtcTarget): FfmpegOutput {
  const muxer: string[] = [];
  for (let i = 0; i < segment.options.length; i += 2) {
    if (segment.options[i] === "-muxdelay" || segment.options[i] === "-muxpreload") continue;
    muxer.push(segment.options[i], segment.options[i + 1]);
  }
  return { target: `${teeSlave(muxer, segment.target)}|${rtpSlave(t, "video")}`, options: [...codecOptions, "-f", "tee"] };
}

export const OPUS_KBPS = 96;

/** Opus for WebRTC from the source audio (every 20 ms a packet; async=1 keeps it on the video's clock). */
export function opusRtpOutput(t: WebrtcTarget): FfmpegOutput {
  return {
    target: rtpSlave(t, "audio"),
    options: [
      "-map", "0:a:0",
      "-af", "aresample=async=1",
      "-c:a", "libopus", "-b:a", `${OPUS_KBPS}k`, "-ar", "48000", "-ac", "2",
      "-application", "lowdelay", "-frame_duration", "20",
      "-f", "tee",
    ],
  };
}
