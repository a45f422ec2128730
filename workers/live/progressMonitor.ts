// Measures a live transcode against the live edge: speed (media seconds written
// per wall-clock second over the last ~10 s, from ffmpeg's stats) and lag (how
// far its position is behind the newest media ingest has received).
import type { IngestStats } from "../../lib/ingestStats.ts";
import type { FfmpegProgress } from "../ffmpegRunner.ts";

const WINDOW_MS = 10_000;
const MIN_SPAN_MS = 4000;
const STALLED_AFTER_MS = 2500;

export class ProgressMonitor {
  private samples: { at: number; media: number }[] = [];
  /** Source-timeline seconds where the current run's media starts. */
  private basis = 0;

  /** A new ffmpeg run reading the spool from about `basisSeconds` (exact once its first segment is cut). */
  newRun(basisSeconds: number): void {
    this.basis = basisSeconds;
    this.samples = [];
  }

  /** The run's first cut segment tells exactly where its media starts. */
  firstSegmentAt(startSeconds: number): void {
    const shift = startSeconds - this.basis;
    this.basis = startSeconds;
    for (const s of this.samples) s.media += shift;
  }

  onProgress = (p: FfmpegProgress): void => {
    this.samples.push({ at: p.at, media: this.basis + Math.max(0, p.mediaSeconds) });
    while (this.samples.length > 2 && p.at - this.samples[0].at > WINDOW_MS) this.samples.shift();
  };

  /** Source-timeline seconds the transcode has reached, or null before its first report. */
  position(): number | null {
    return this.samples.at(-1)?.media ?? null;
  }

  /** ×real time over the window; a stalled ffmpeg (no reports) counts as making no progress until now. */
  speed(now = Date.now()): number | null {
    if (this.samples.length === 0) return null;
    const recent = this.samples.filter((s) => now - s.at <= WINDOW_MS);
    const first = recent[0] ?? this.samples[this.samples.length - 1];
    const last = this.samples[this.samples.length - 1];
    // ffmpeg reports once a second; only a report that is overdue means it stalled.
    const stalled = now - last.at > STALLED_AFTER_MS;
    const span = (stalled ? now : last.at) - first.at;
    if (span < MIN_SPAN_MS) return null;
    return Math.max(0, (last.media - first.media) / (span / 1000));
  }

  /** Seconds behind the newest media ingest has (extrapolated to now while the publisher is sending). */
  lag(stats: IngestStats | null, now = Date.now()): number | null {
    const pos = this.position();
    if (stats?.receivedMediaMs == null || pos === null) return null;
    const sinceReport = stats.finished ? 0 : Math.max(0, now - stats.updatedAt) / 1000;
    const head = stats.receivedMediaMs / 1000 + sinceReport * Math.min(1, stats.sendSpeed ?? 1);
    return Math.max(0, head - pos);
  }
}
