// The publisher of the latency benchmarks, built like a camera in front of an encoder:
// this process paints each raw frame (black or white) at its instant and hands it to an
// ffmpeg that encodes and publishes over RTMP, as OBS does. The instant a changed frame
// was handed over is the "glass" the flip left, so the figure includes the publisher's
// encoder and nothing before it (a clock taken at spawn also counted ffmpeg's start-up).
import { spawn, type ChildProcess } from "node:child_process";
import type { Writable } from "node:stream";

const RATE = 48000;

export interface FlashPublisherOptions {
  rtmpUrl: string;
  /** Whether the picture is white at stream second t. */
  white: (t: number) => boolean;
  seconds: number;
  /** x264 tune (OBS's "Tune"); "" for x264's default, as OBS ships. */
  tune?: string;
  width?: number;
  height?: number;
  fps?: number;
}

export interface FlashPublisher {
  proc: ChildProcess;
  /** Wall-clock ms (epoch) at which each change of colour was handed to the encoder. */
  changes: number[];
  /** Frames handed over late by more than one frame interval (this process was busy). */
  late: number;
  stop(): void;
}

/** BENCH_PUBLISHER_TUNE as an x264 tune: unset → `fallback`; "none" → x264's default tuning. */
export function publisherTune(fallback: string): string {
  const v = process.env.BENCH_PUBLISHER_TUNE ?? fallback;
  return v === "none" ? "" : v;
}

export function startFlashPublisher(o: FlashPublisherOptions): FlashPublisher {
  const width = o.width ?? 1280, height = o.height ?? 720, fps = o.fps ?? 30;
  const luma = width * height;
  const frame = (y: number) => {
    const b = Buffer.alloc(luma * 1.5, 128); // yuv420p: chroma neutral
    b.fill(y, 0, luma);
    return b;
  };
  const BLACK = frame(16), WHITE = frame(235);
  const proc = spawn("ffmpeg", [
    "-loglevel", "error",
    "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", `${width}x${height}`, "-framerate", String(fps), "-i", "pipe:0",
    // The sound comes from here too, frame by frame: with a clock of ffmpeg's own (-re) the
    // muxer would hold each video frame back by however long ffmpeg took to start.
    "-f", "s16le", "-ar", String(RATE), "-ac", "2", "-i", "pipe:3",
    "-map", "0:v", "-map", "1:a",
    // What OBS sends with a 1 s keyframe interval: x264 veryfast at 2500 kbps, AAC.
    "-c:v", "libx264", "-preset", "veryfast", ...(o.tune ? ["-tune", o.tune] : []), "-g", String(fps), "-b:v", "2500k", "-pix_fmt", "yuv420p",
    "-c:a", "aac",
    "-f", "flv", o.rtmpUrl,
  ], { stdio: ["pipe", "ignore", "inherit", "pipe"] });
  const audioIn = proc.stdio[3] as Writable;
  proc.stdin!.on("error", () => {}); // ffmpeg gone: the bench notices by its exit
  audioIn.on("error", () => {});
  // One second of a 440 Hz tone, handed over one frame's worth at a time.
  const tone = Buffer.alloc(RATE * 4);
  for (let s = 0; s < RATE; s++) {
    const v = Math.round(Math.sin((2 * Math.PI * 440 * s) / RATE) * 8000);
    tone.writeInt16LE(v, s * 4);
    tone.writeInt16LE(v, s * 4 + 2);
  }
  const perFrame = Math.round(RATE / fps) * 4;

  const pub: FlashPublisher = { proc, changes: [], late: 0, stop };
  const total = Math.round(o.seconds * fps);
  const start = Date.now();
  let i = 0, last: boolean | null = null, timer: NodeJS.Timeout | undefined;
  function end() {
    clearTimeout(timer);
    proc.stdin!.end();
    audioIn.end();
  }
  function stop() {
    end();
    proc.kill("SIGKILL");
  }
  const tick = () => {
    // Every frame that is due goes out now; a frame is never skipped, so stream time stays
    // frame-exact, and lateness is counted rather than hidden.
    for (; i < total; i++) {
      const now = Date.now();
      const due = start + (i * 1000) / fps;
      if (due > now) {
        timer = setTimeout(tick, due - now);
        return;
      }
      if (now - due > 1000 / fps) pub.late++;
      const white = o.white(i / fps);
      if (last !== null && white !== last) pub.changes.push(now);
      last = white;
      proc.stdin!.write(white ? WHITE : BLACK);
      const at = (i * perFrame) % tone.length;
      audioIn.write(tone.subarray(at, at + perFrame));
    }
    end();
  };
  tick();
  return pub;
}
