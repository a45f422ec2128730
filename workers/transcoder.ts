// Where live encoding happens. The local transcoder runs ffmpeg on this host
// through the one runner; a remote one (a GPU box, a cloud encoder) would take
// the same command as data and report the same progress, so the live job does
// not care where encoding happens.
import type { FfmpegSpec } from "../lib/ffmpeg/spec.ts";
import { startFfmpeg, type RunOptions, type RunningFfmpeg } from "./ffmpegRunner.ts";

export interface Transcoder {
  start(spec: FfmpegSpec, opts: RunOptions): Promise<RunningFfmpeg>;
}

export class LocalFfmpegTranscoder implements Transcoder {
  start(spec: FfmpegSpec, opts: RunOptions): Promise<RunningFfmpeg> {
    return startFfmpeg(spec, opts);
  }
}
