// Transcoders run an FfmpegSpec. The local one drives ffmpeg through
// fluent-ffmpeg; a remote one (a GPU box, a cloud encoder) would implement the
// same interface, so the live job does not care where encoding happens.
import ffmpeg from "fluent-ffmpeg";
import { config } from "../lib/config.ts";
import type { FfmpegSpec } from "../lib/ffmpeg/liveLadder.ts";

export interface TranscodeResult {
  /** null when killed by a signal */
  code: number | null;
  signal: string | null;
  /** Last lines ffmpeg wrote to stderr, for the job's failure reason. */
  stderrTail: string[];
}

export interface RunningTranscode {
  pid: number | undefined;
  done: Promise<TranscodeResult>;
  kill(): void;
}

export interface Transcoder {
  start(spec: FfmpegSpec): Promise<RunningTranscode>;
}

export class LocalFfmpegTranscoder implements Transcoder {
  async start(spec: FfmpegSpec): Promise<RunningTranscode> {
    const tail: string[] = [];
    const cmd = ffmpeg({ stdoutLines: 0 }).setFfmpegPath(config.ffmpegPath).input(spec.input).inputOptions(spec.inputOptions);
    if (spec.filterComplex) cmd.complexFilter(spec.filterComplex);
    for (const o of spec.outputs) cmd.output(o.target).outputOptions(o.options);
    let pid: number | undefined;
    const started = new Promise<void>((resolve) => cmd.on("start", () => resolve()));
    const done = new Promise<TranscodeResult>((resolve) => {
      cmd.on("stderr", (line: string) => {
        tail.push(line);
        if (tail.length > 15) tail.shift();
      });
      cmd.on("end", () => resolve({ code: 0, signal: null, stderrTail: tail }));
      cmd.on("error", (err: Error) => {
        const m = /ffmpeg was killed with signal (\w+)|ffmpeg exited with code (\d+)/.exec(err.message);
        resolve({ code: m?.[2] ? Number(m[2]) : null, signal: m?.[1] ?? (m ? null : "error"), stderrTail: [...tail, err.message] });
      });
    });
    cmd.run();
    await started;
    pid = (cmd as unknown as { ffmpegProc?: { pid?: number } }).ffmpegProc?.pid;
    return { pid, done, kill: () => cmd.kill("SIGKILL") };
  }
}
