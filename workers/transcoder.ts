// Where live encoding happens. A transcoder takes WHAT to produce (an input, the
// ladder, the segment length) and yields the segments it cut, each as a finished
// file in this worker's scratch directory; the live job publishes them to the
// media store and lists them. It never sees a store path, so encoding can move
// (a GPU box, a remote encoder) without the job changing. Command building stays
// pure in lib/ffmpeg; process control lives here.
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { config } from "../lib/config.ts";
import { buildLiveLadder, segmentListFile, type Rendition, type SourceInfo } from "../lib/ffmpeg/liveLadder.ts";
import type { WebrtcTarget } from "../lib/ffmpeg/webrtcRtp.ts";
import { SegmentListTail } from "../lib/hls/segmentList.ts";
import type { Ladder } from "../lib/ladder.ts";
import { firstVideoPts, startFfmpeg, type FfmpegProgress, type FfmpegResult } from "./ffmpegRunner.ts";
import { killLeftoverFfmpeg, recordTranscodeProcess } from "./live/leftovers.ts";

export interface LiveTranscodeRequest {
  /** The live part (names the scratch directory and finds an earlier attempt's leftover process). */
  partId: string;
  epoch: number;
  input: string;
  inputFormat?: string;
  /** Time of the input's first video frame on the publisher's timeline (see LiveLadderOptions). */
  inputStartSeconds: number;
  source: SourceInfo;
  ladder: Ladder;
  segmentSeconds: number;
  /** Segment file prefix, unique per part and attempt (e.g. "p0e3-"). */
  segmentPrefix: string;
  x264Preset: string;
  webrtc?: WebrtcTarget;
  onProgress?: (p: FfmpegProgress) => void;
}

export interface CutFile {
  rendition: Rendition;
  /** The segment's file name (also its name in the media store). */
  name: string;
  /** Where it lies on this host until it is published. */
  file: string;
  /** Seconds on the input's timeline. */
  start: number;
  end: number;
}

export interface RunningTranscode {
  /** The renditions this run encodes. */
  renditions: Rendition[];
  /** The rendition also sent to the WebRTC edges, if any. */
  webrtc: Rendition | null;
  pid: number | undefined;
  /** Segments finished since the last call. */
  collect(): Promise<CutFile[]>;
  done: Promise<FfmpegResult>;
  kill(): void;
  /** Removes this run's scratch files (after its segments are published). */
  cleanup(): Promise<void>;
}

export interface Transcoder {
  start(req: LiveTranscodeRequest): Promise<RunningTranscode>;
}

/** One ffmpeg on this host (the one-decode ladder), writing into this worker's scratch directory. */
export class LocalFfmpegTranscoder implements Transcoder {
  constructor(private readonly scratchRoot = path.resolve(config.scratchDir)) {}

  async start(req: LiveTranscodeRequest): Promise<RunningTranscode> {
    // SIGKILL of a worker does not reach its ffmpeg: a takeover on this host ends the leftover first.
    await killLeftoverFfmpeg(req.partId);
    const runDir = path.join(this.scratchRoot, "live", `${req.partId}-e${req.epoch}`);
    await rm(runDir, { recursive: true, force: true });
    const dirOf = (r: Rendition) => path.join(runDir, r.name);
    const built = buildLiveLadder({
      input: req.input,
      inputFormat: req.inputFormat,
      inputStartSeconds: req.inputStartSeconds,
      source: req.source,
      ladder: req.ladder,
      segmentSeconds: req.segmentSeconds,
      outputDir: dirOf,
      segmentPrefix: req.segmentPrefix,
      x264Preset: req.x264Preset,
      webrtc: req.webrtc,
    });
    for (const r of built.renditions) await mkdir(dirOf(r), { recursive: true });
    const tails = built.renditions.map((rendition) => ({
      rendition,
      dir: dirOf(rendition),
      tail: new SegmentListTail(path.join(dirOf(rendition), segmentListFile(req.segmentPrefix))),
      cut: 0,
    }));
    const running = await startFfmpeg(built.spec, { onProgress: req.onProgress });
    await recordTranscodeProcess(req.partId, running.pid, req.epoch);
    return {
      renditions: built.renditions,
      webrtc: built.webrtc,
      pid: running.pid,
      done: running.done,
      kill: () => running.kill(),
      cleanup: () => rm(runDir, { recursive: true, force: true }),
      async collect() {
        const out: CutFile[] = [];
        for (const t of tails) {
          for (const seg of await t.tail.poll()) {
            const file = path.join(t.dir, seg.file);
            // ffmpeg 5.1's segment list says a run's first segment starts at 0, whatever its
            // timestamps: read where it really starts from the file.
            if (t.cut++ === 0) seg.start = (await firstVideoPts(file)) ?? seg.start;
            out.push({ rendition: t.rendition, name: seg.file, file, start: seg.start, end: seg.end });
          }
        }
        return out;
      },
    };
  }
}
