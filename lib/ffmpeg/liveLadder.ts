// Builds the ONE ffmpeg command that transcodes a live input into every rung of
// the ladder: decode once, scale in a cascade (1080→720→480→360), make each rung
// constant-frame-rate, encode it with keyframes forced on segment boundaries of the
// input's own timeline, and cut each rung into MPEG-TS segments listed in a CSV
// that the worker turns into HLS playlists. Pure: it returns a spec; workers/ runs it.
import { avcCodecString, highProfileLevel } from "./h264.ts";
import type { FfmpegOutput, FfmpegSpec } from "./spec.ts";
import { opusRtpOutput, teeWithRtpVideo, webrtcRendition, type WebrtcTarget } from "./webrtcRtp.ts";
import type { Ladder } from "../ladder.ts";
import { outputFps, rungSize, rungsForSource } from "../ladder.ts";

export interface SourceInfo {
  width: number;
  height: number;
  fps: number;
  /** RFC 6381 codec of the source video ("avc1.64001f"), when known. */
  videoCodec: string | null;
  /** "mp4a.40.2" for AAC-LC, "mp4a.40.5" for HE-AAC; another value for other codecs; null for no audio. */
  audioCodec: string | null;
  audioSampleRate?: number | null;
  audioChannels?: number | null;
  /** Source video bitrate, for the passthrough rung's BANDWIDTH. */
  videoKbps?: number;
}

export interface Rendition {
  /** Directory and quality-menu name: "720p30" (the rung's short side), or "source". */
  name: string;
  /** As encoded, in the source's orientation (a portrait 720p30 is 720 wide, 1280 high). */
  width: number;
  height: number;
  fps: number;
  videoKbps: number;
  audioKbps: number;
  /** Peak bits per second for the master playlist's BANDWIDTH. */
  bandwidth: number;
  codecs: string;
  passthrough: boolean;
}

export interface LiveLadderOptions {
  input: string;
  /** Demuxer to use without probing for it, e.g. "flv". */
  inputFormat?: string;
  /**
   * Time (seconds, on the publisher's timeline) of the input's first video frame: 0
   * for a fresh input, the resume keyframe's time when reading a spool from the
   * middle (its X-Spool-Start-Ms / 1000 will do: that is the keyframe's DTS, and a
   * source with B-frames puts every keyframe's PTS the same few ms later, so all runs
   * shift alike). ffmpeg 5.1 gives -force_key_frames expressions a `t` counted from
   * the first frame, so without this a resumed run's keyframes, and so its segment
   * boundaries, would not line up with an earlier run's.
   */
  inputStartSeconds?: number;
  source: SourceInfo;
  ladder: Ladder;
  segmentSeconds: number;
  /** Where a rendition's segments and segment list go (a directory path). */
  outputDir: (rendition: Rendition) => string;
  /** Segment file prefix, e.g. "p0e3-" (part 0, epoch 3), so attempts never overwrite each other. */
  segmentPrefix: string;
  x264Preset?: string;
  /** Threads for the filter graph (scaling, frame-rate conversion); default 2. */
  filterThreads?: number;
  /** A stalled input ends the process after this long instead of hanging the job; default 40. */
  readTimeoutSeconds?: number;
  /** Extra outputs that read the same input. */
  extraOutputs?: FfmpegOutput[];
  /** Also send one rung and Opus audio to the WebRTC edge as RTP (see webrtcRtp.ts). */
  webrtc?: WebrtcTarget;
}

export const AAC = "mp4a.40.2";

/** The CSV in which a rendition's ffmpeg lists each segment it finished ("file,start,end"). */
export const segmentListFile = (segmentPrefix: string) => `${segmentPrefix}segments.csv`;
const AUDIO_KBPS = 128;
const AUDIO_RATE = 48000;
const AUDIO_CHANNELS = 2;
const AUDIO_TRIM_SECONDS = 0.025;
// MPEG-TS packetisation and rate-control peaks on top of the nominal bitrate.
const TS_OVERHEAD = 1.1;
const MAXRATE_FACTOR = 1.07;

/** Only AAC-LC 48 kHz stereo is copied: it is what every player's MSE path and
 * every rendition's CODECS can promise. HE-AAC, other rates, mono, MP3 and
 * anything not fully known are re-encoded to that. */
export function audioIsCopyable(source: SourceInfo): boolean {
  return source.audioCodec === AAC && source.audioSampleRate === AUDIO_RATE && source.audioChannels === AUDIO_CHANNELS;
}

export function planRenditions(source: SourceInfo, ladder: Ladder): Rendition[] {
  const audioKbps = source.audioCodec ? AUDIO_KBPS : 0;
  const audioCodecs = source.audioCodec ? AAC : null;
  const out: Rendition[] = [];
  if (ladder.passthrough) {
    const kbps = source.videoKbps && source.videoKbps > 0 ? source.videoKbps : 8000;
    out.push({
      name: "source",
      width: source.width,
      height: source.height,
      fps: source.fps,
      videoKbps: kbps,
      audioKbps,
      bandwidth: Math.round((kbps * 1.25 + audioKbps) * 1000 * TS_OVERHEAD),
      codecs: [source.videoCodec ?? "avc1.640028", audioCodecs].filter(Boolean).join(","),
      passthrough: true,
    });
  }
  for (const rung of rungsForSource(ladder, source)) {
    const { width, height } = rungSize(rung.height, source);
    const fps = outputFps(rung.fps, source.fps);
    const peak = Math.round(rung.videoKbps * MAXRATE_FACTOR);
    const level = highProfileLevel(width, height, fps, peak);
    out.push({
      name: rung.name,
      width,
      height,
      fps,
      videoKbps: rung.videoKbps,
      audioKbps,
      bandwidth: Math.round((peak + audioKbps) * 1000 * TS_OVERHEAD),
      codecs: [avcCodecString(100, 0, level.idc), audioCodecs].filter(Boolean).join(","),
      passthrough: false,
    });
  }
  return out;
}

/** The cascade: each rung scales from the one above it, so big frames are scaled once.
 * Each step shrinks by at most ~1.5×, where bilinear looks like bicubic and costs less
 * (bench:transcode: 0.50 vs 0.53 of the naive baseline). The top rung is scaled too,
 * even at the source's size (a no-op then), so a source that changes size mid-stream
 * still reaches the encoder at the size it was opened with. fps= after each rung's
 * split makes variable-frame-rate sources (OBS, phones) constant-rate, and lets a
 * lower rung ask for more frames than the one above it. */
function cascadeFilter(encoded: Rendition[]): { graph: string; labels: string[] } {
  const parts: string[] = [];
  const labels: string[] = [];
  let from = "[0:v]";
  encoded.forEach((r, i) => {
    // scale before format: swscale then converts and scales in one pass.
    const chain = [`scale=${r.width}:${r.height}:flags=bilinear`, ...(i === 0 ? ["format=yuv420p"] : [])];
    const out = `[v${i}]`;
    if (i === encoded.length - 1) {
      parts.push(`${from}${[...chain, `fps=${r.fps}`].join(",")}${out}`);
    } else {
      parts.push(`${from}${[...chain, "split=2"].join(",")}[t${i}][c${i}]`, `[t${i}]fps=${r.fps}${out}`);
      from = `[c${i}]`;
    }
    labels.push(out);
  });
  return { graph: parts.join(";"), labels };
}

/**
 * -force_key_frames for a rung: a keyframe on the first frame, then on the first frame
 * at or after each multiple of segmentSeconds of the input's timeline. ffmpeg's `t` and
 * `prev_forced_t` count from the first frame the encoder sees, which fps= puts on the
 * 1/fps grid nearest to the input's start, so that offset is added back. The 0.0001 s
 * absorbs floating-point error: frames sit on a 1/fps grid, far coarser than that.
 */
export function forceKeyFramesExpr(fps: number, segmentSeconds: number, inputStartSeconds = 0): string {
  const first = Math.round(inputStartSeconds * fps);
  const abs = (v: string) => (first ? `${v}+${first}/${fps}+0.0001` : `${v}+0.0001`);
  return `expr:if(isnan(prev_forced_t),1,gte(${abs("t")},(floor((${abs("prev_forced_t")})/${segmentSeconds})+1)*${segmentSeconds}))`;
}

function segmentOutput(dir: string, prefix: string, segmentSeconds: number): { target: string; options: string[] } {
  return {
    target: `${dir}/${prefix}%06d.ts`,
    options: [
      "-f", "segment",
      "-segment_time", String(segmentSeconds),
      "-segment_format", "mpegts",
      "-segment_list", `${dir}/${segmentListFile(prefix)}`,
      "-segment_list_type", "csv",
      "-segment_list_flags", "live",
      "-reset_timestamps", "0",
      "-break_non_keyframes", "0",
      // Keep input timestamps in the segments: PROGRAM-DATE-TIME is computed from them.
      // (ffmpeg 5.1 lists the FIRST segment as starting at 0 whatever its timestamps;
      // the later ones start where their first frame is.)
      "-muxdelay", "0",
      "-muxpreload", "0",
    ],
  };
}

function audioOptions(source: SourceInfo): string[] {
  if (!source.audioCodec) return [];
  if (audioIsCopyable(source)) return ["-map", "0:a:0", "-c:a", "copy"];
  // async=1 stretches or pads audio to its timestamps, so a re-encode never drifts from
  // the video over a long stream; it keeps the input's first timestamp (with -copyts).
  // atrim: the AAC encoder's priming frame starts 1024 samples (21 ms) before its first
  // input, which is negative at a timeline's very start (t=0), and the muxer would then
  // shift every stream to make it non-negative, moving all segment boundaries off the
  // input's timeline. Dropping the first 25 ms of a stream's audio avoids that; later
  // starts (a resumed read at t>0) lose nothing.
  return [
    "-map", "0:a:0",
    "-af", `aresample=async=1,atrim=start=${AUDIO_TRIM_SECONDS}`,
    "-c:a", "aac", "-b:a", `${AUDIO_KBPS}k`, "-ar", String(AUDIO_RATE), "-ac", String(AUDIO_CHANNELS),
  ];
}

function x264Options(r: Rendition, opts: LiveLadderOptions): string[] {
  const seg = opts.segmentSeconds;
  const gop = Math.max(1, Math.round(r.fps * seg));
  const peak = Math.round(r.videoKbps * MAXRATE_FACTOR);
  return [
    "-c:v", "libx264",
    "-preset", opts.x264Preset ?? "veryfast",
    // No B-frames and no lookahead: low latency and WebRTC-ready H.264, like
    // -tune zerolatency, but with frame threads, which keep 2 cores busier than its
    // sliced threads (10 s of 1080p30 → 720/480/360, veryfast, 2 cores: 6.4 s wall
    // vs 7.0 s for the same CPU). No B-frames also keeps every DTS non-negative.
    "-bf", "0",
    "-x264-params", "rc-lookahead=0:sync-lookahead=0",
    "-profile:v", "high",
    "-level:v", highProfileLevel(r.width, r.height, r.fps, peak).name,
    "-pix_fmt", "yuv420p",
    "-b:v", `${r.videoKbps}k`,
    "-maxrate", `${peak}k`,
    "-bufsize", `${r.videoKbps * 2}k`,
    // Keyframes exactly on segment boundaries in every rung, never on scene cuts; -g at
    // twice the segment so x264 never adds one of its own between forced ones.
    "-g", String(gop * 2),
    "-keyint_min", String(gop),
    "-sc_threshold", "0",
    "-force_key_frames", forceKeyFramesExpr(r.fps, seg, opts.inputStartSeconds ?? 0),
  ];
}

export function buildLiveLadder(opts: LiveLadderOptions): { spec: FfmpegSpec; renditions: Rendition[]; webrtc: Rendition | null } {
  const renditions = planRenditions(opts.source, opts.ladder);
  const webrtc = opts.webrtc ? webrtcRendition(renditions) : null;
  if (renditions.length === 0) throw new Error("The ladder has neither rungs nor \"source\".");
  const encoded = renditions.filter((r) => !r.passthrough);
  const { graph, labels } = encoded.length ? cascadeFilter(encoded) : { graph: null, labels: [] };
  const audio = audioOptions(opts.source);
  const outputs: FfmpegOutput[] = renditions.map((r) => {
    const seg = segmentOutput(opts.outputDir(r), opts.segmentPrefix, opts.segmentSeconds);
    const video = r.passthrough ? ["-map", "0:v:0", "-c:v", "copy"] : ["-map", labels[encoded.indexOf(r)], ...x264Options(r, opts)];
    if (r === webrtc && opts.webrtc) return teeWithRtpVideo([...video, ...audio], seg, opts.webrtc);
    return { target: seg.target, options: [...video, ...audio, ...seg.options] };
  });
  if (webrtc && opts.webrtc && opts.source.audioCodec) outputs.push(opusRtpOutput(opts.webrtc));
  outputs.push(...(opts.extraOutputs ?? []));
  return {
    renditions,
    webrtc,
    spec: {
      // -stats_period: the runner reads progress (speed, frame) from the stats lines.
      globalOptions: ["-hide_banner", "-stats_period", "1", "-filter_complex_threads", String(opts.filterThreads ?? 2)],
      inputs: [
        {
          source: opts.input,
          options: [
            ...(opts.inputFormat ? ["-f", opts.inputFormat] : []),
            "-copyts",
            // Start quickly: ingest already knows what the stream is, and a long probe
            // would hold back the first segment (a reconnect's first segment must be quick).
            "-analyzeduration", "300000",
            "-probesize", "500000",
            "-rw_timeout", String(Math.round((opts.readTimeoutSeconds ?? 40) * 1_000_000)),
          ],
        },
      ],
      filterComplex: graph,
      outputs,
    },
  };
}
