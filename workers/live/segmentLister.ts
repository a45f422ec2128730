// Turns the segments one live part's ffmpeg runs cut into entries of the
// session's playlists, in order and exactly once. A part may take several runs
// (a worker taking over, an overload step): each run resumes from the spool at
// the last keyframe before where the previous one's listing ended, so its first
// segments may repeat media that is already listed; those are skipped per
// playlist. A segment that would leave a hole is listed after the hole (the
// replay marks it), never dropped silently.
import type { Rendition } from "../../lib/ffmpeg/liveLadder.ts";
import type { LivePlaylists } from "../../lib/hls/livePlaylists.ts";
import { SegmentListTail, type CutSegment } from "../../lib/hls/segmentList.ts";
import { logger } from "../../lib/log.ts";
import { firstVideoPts } from "../ffmpegRunner.ts";
import path from "node:path";

const log = logger("worker");
/** Timestamps in the CSV lists are rounded; boundaries closer than this are the same. */
const TOLERANCE_SECONDS = 0.02;

export interface PartTimeline {
  index: number;
  startedAt: Date;
  timelineOffsetMs: number;
}

interface Run {
  epoch: number;
  tails: { rendition: Rendition; tail: SegmentListTail; dir: string; cut: number }[];
  fedFrom: Map<string, string[]>;
  /** Per target playlist: segments listed by this run (the first starts a discontinuity run). */
  listedByRun: Map<string, number>;
}

export class SegmentLister {
  /** Per master rendition: end of this part's listed media (seconds, source timeline). */
  private listedEnd = new Map<string, number>();
  private pending: { rendition: Rendition; seg: CutSegment; run: Run }[] = [];
  private run: Run | null = null;
  /** Media seconds listed into the top rendition by this process, and holes seen. */
  listedSeconds = 0;
  holes: { at: number; seconds: number }[] = [];
  masterWritten: boolean;

  constructor(
    private readonly playlists: LivePlaylists,
    private readonly part: PartTimeline,
    readonly masterRenditions: Rendition[],
    masterExists: boolean,
  ) {
    this.masterWritten = masterExists;
  }

  /** Reads how far this part is already listed (a takeover continues where the last attempt stopped). */
  async load(): Promise<void> {
    for (const r of this.masterRenditions) {
      const pl = await this.playlists.load(r.name);
      for (let i = pl.segments.length - 1; i >= 0; i--) {
        const s = pl.segments[i];
        if (s.slate || s.part !== this.part.index) continue;
        const start = s.mediaStart ?? ((s.programDateTime ?? 0) - this.part.startedAt.getTime() + this.part.timelineOffsetMs) / 1000;
        this.listedEnd.set(r.name, start + s.duration);
        break;
      }
    }
  }

  /** Where the next run should read the spool from (ms), or null for the part's beginning. */
  resumeFromMs(): number | null {
    if (this.masterRenditions.some((r) => !this.listedEnd.has(r.name))) return null;
    return Math.floor(Math.min(...this.listedEnd.values()) * 1000);
  }

  /** The part's media listed in every playlist up to here (ms): the spool before it may go. */
  listedUntilMs(): number | null {
    return this.resumeFromMs();
  }

  startRun(epoch: number, encoded: Rendition[], fedFrom: Map<string, string[]>, dirOf: (r: Rendition) => string, listName: string): void {
    this.run = {
      epoch,
      tails: encoded.map((rendition) => ({ rendition, tail: new SegmentListTail(path.join(dirOf(rendition), listName)), dir: dirOf(rendition), cut: 0 })),
      fedFrom,
      listedByRun: new Map(),
    };
  }

  /** Collects newly cut segments (no pen needed); they wait until list() is called with the pen. */
  async poll(): Promise<number> {
    const run = this.run;
    if (!run) return 0;
    let n = 0;
    for (const t of run.tails) {
      for (const seg of await t.tail.poll()) {
        // ffmpeg 5.1's segment list says the first segment starts at 0, whatever its
        // timestamps: read where it really starts from the file.
        if (t.cut++ === 0) seg.start = (await firstVideoPts(path.join(t.dir, seg.file))) ?? seg.start;
        this.pending.push({ rendition: t.rendition, seg, run });
        n++;
      }
    }
    return n;
  }

  /** Where the current run's first collected segment starts (source seconds). */
  firstCollectedStart(): number | null {
    const mine = this.pending.filter((p) => p.run === this.run).map((p) => p.seg.start);
    return mine.length ? Math.min(...mine) : null;
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  /** Lists every collected segment. The caller holds the pen and the playlists lock. */
  async list(): Promise<number> {
    let listed = 0;
    const batch = this.pending;
    this.pending = [];
    const top = this.masterRenditions[0]?.name;
    for (const { rendition, seg, run } of batch) {
      for (const target of run.fedFrom.get(rendition.name) ?? []) {
        const end = this.listedEnd.get(target);
        if (end !== undefined && seg.end <= end + TOLERANCE_SECONDS) continue; // already listed by an earlier run
        if (end !== undefined && seg.start < end - TOLERANCE_SECONDS) {
          // Straddles the listed end: listing it would repeat media. Skip it; the hole is marked.
          continue;
        }
        if (end !== undefined && seg.start > end + TOLERANCE_SECONDS && target === top) {
          this.holes.push({ at: end, seconds: seg.start - end });
          log.warn("media missing between two runs of a transcode", { part: this.part.index, at: end.toFixed(2), seconds: (seg.start - end).toFixed(2) });
        }
        const count = run.listedByRun.get(target) ?? 0;
        await this.playlists.append(
          target,
          {
            uri: target === rendition.name ? seg.file : `../${rendition.name}/${seg.file}`,
            duration: seg.end - seg.start,
            programDateTime: this.part.startedAt.getTime() + (seg.start * 1000 - this.part.timelineOffsetMs),
            part: this.part.index,
            mediaStart: seg.start,
          },
          { startsRun: count === 0 },
        );
        run.listedByRun.set(target, count + 1);
        this.listedEnd.set(target, seg.end);
        if (target === top) this.listedSeconds += seg.end - seg.start;
        listed++;
      }
    }
    if (!this.masterWritten && this.masterRenditions.every((r) => this.listedEnd.has(r.name)) && !(await this.playlists.readMaster())) {
      await this.playlists.writeMaster(this.masterRenditions);
      this.masterWritten = true;
    }
    return listed;
  }
}
