// Turns the segments one live part's ffmpeg runs cut into entries of the
// session's playlists, in order and exactly once. A part may take several runs
// (a worker taking over, an overload step): each run resumes from the spool at
// the last keyframe before where the previous one's listing ended, so its first
// segments may repeat media that is already listed; those are skipped per
// playlist. A segment that would leave a hole is listed after the hole (the
// replay marks it), never dropped silently.
//
// A segment is published to the media store before it is listed, in the order it
// was cut; when the store is full it waits in the scratch directory and the next
// poll tries again, so a full disk delays the stream but loses nothing.
import { rm } from "node:fs/promises";
import type { Rendition } from "../../lib/ffmpeg/liveLadder.ts";
import type { Appended, LivePlaylists } from "../../lib/hls/livePlaylists.ts";
import type { CutSegment } from "../../lib/hls/segmentList.ts";
import { logger } from "../../lib/log.ts";
import { MEDIA_KEY } from "../../lib/media/layout.ts";
import type { CutFile, RunningTranscode } from "../transcoder.ts";

const log = logger("worker");
/** Segments uploaded to the store at once. */
const PUBLISH_AT_ONCE = 4;
/** Cut segments already in the store but not listed yet (an earlier one is still uploading or was refused). */
const published = new WeakSet<CutFile>();
/** Timestamps in the CSV lists are rounded; boundaries closer than this are the same. */
const TOLERANCE_SECONDS = 0.02;

export interface PartTimeline {
  index: number;
  startedAt: Date;
  timelineOffsetMs: number;
}

interface Run {
  epoch: number;
  transcode: RunningTranscode;
  /** Cut, not yet in the store (in cut order). */
  unpublished: CutFile[];
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

  startRun(epoch: number, transcode: RunningTranscode, fedFrom: Map<string, string[]>): void {
    this.run = { epoch, transcode, unpublished: [], fedFrom, listedByRun: new Map() };
  }

  /**
   * Collects newly cut segments and publishes them to the store (no pen needed: names are
   * unique to the attempt); they wait until list() is called with the pen. Throws the
   * store's error (StorageFullError when it has no room); what was not published is kept
   * and tried again on the next call.
   */
  async poll(): Promise<number> {
    const run = this.run;
    if (!run) return 0;
    run.unpublished.push(...(await run.transcode.collect()));
    // A few at once (a bucket answers each PUT in milliseconds, not microseconds); they are
    // listed in the order they were cut, whatever order the uploads finish in.
    let failed: PromiseRejectedResult | undefined;
    for (;;) {
      const waiting = run.unpublished.filter((c) => !published.has(c)).slice(0, PUBLISH_AT_ONCE);
      if (waiting.length === 0) break;
      const results = await Promise.allSettled(
        waiting.map(async (cut) => {
          await this.playlists.store.putFile(MEDIA_KEY.segment(this.playlists.sessionId, cut.rendition.name, cut.name), cut.file);
          published.add(cut);
          await rm(cut.file, { force: true });
        }),
      );
      failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
      if (failed) break;
    }
    let n = 0;
    while (run.unpublished.length > 0 && published.has(run.unpublished[0])) {
      const cut = run.unpublished.shift()!;
      published.delete(cut);
      this.pending.push({ rendition: cut.rendition, seg: { file: cut.name, start: cut.start, end: cut.end }, run });
      n++;
    }
    if (failed) throw failed.reason;
    return n;
  }

  /** Where the current run's first collected segment starts (source seconds). */
  firstCollectedStart(): number | null {
    const mine = this.pending.filter((p) => p.run === this.run).map((p) => p.seg.start);
    return mine.length ? Math.min(...mine) : null;
  }

  /** Segments cut by the current run that the store has not taken yet. */
  get unpublishedCount(): number {
    return this.run?.unpublished.length ?? 0;
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  /**
   * Lists every collected segment, one write per playlist. The caller holds the pen and the
   * playlists lock. What is listed is decided first on a copy of the state, and taken as
   * listed only once every write went through: after a failed write (a full store) the next
   * call decides again from the same state, and LivePlaylists.appendMany does not append a
   * segment twice.
   */
  async list(): Promise<number> {
    const top = this.masterRenditions[0]?.name;
    const listedEnd = new Map(this.listedEnd);
    const byRun = new Map<Run, Map<string, number>>();
    const writes = new Map<string, Appended[]>();
    const holes: { at: number; seconds: number }[] = [];
    let listedSeconds = 0;
    let listed = 0;
    for (const { rendition, seg, run } of this.pending) {
      let counts = byRun.get(run);
      if (!counts) byRun.set(run, (counts = new Map(run.listedByRun)));
      for (const target of run.fedFrom.get(rendition.name) ?? []) {
        const end = listedEnd.get(target);
        if (end !== undefined && seg.end <= end + TOLERANCE_SECONDS) continue; // already listed by an earlier run
        if (end !== undefined && seg.start < end - TOLERANCE_SECONDS) {
          // Straddles the listed end: listing it would repeat media. Skip it; the hole is marked.
          continue;
        }
        if (end !== undefined && seg.start > end + TOLERANCE_SECONDS && target === top) holes.push({ at: end, seconds: seg.start - end });
        const count = counts.get(target) ?? 0;
        const entries = writes.get(target) ?? [];
        writes.set(target, entries);
        entries.push({
          seg: {
            uri: target === rendition.name ? seg.file : `../${rendition.name}/${seg.file}`,
            duration: seg.end - seg.start,
            programDateTime: this.part.startedAt.getTime() + (seg.start * 1000 - this.part.timelineOffsetMs),
            part: this.part.index,
            mediaStart: seg.start,
          },
          startsRun: count === 0,
        });
        counts.set(target, count + 1);
        listedEnd.set(target, seg.end);
        if (target === top) listedSeconds += seg.end - seg.start;
        listed++;
      }
    }
    await Promise.all([...writes].map(([target, entries]) => this.playlists.appendMany(target, entries)));
    // Every playlist has them: they are listed.
    this.pending = [];
    this.listedEnd = listedEnd;
    for (const [run, counts] of byRun) run.listedByRun = counts;
    this.listedSeconds += listedSeconds;
    for (const h of holes) {
      this.holes.push(h);
      log.warn("media missing between two runs of a transcode", { part: this.part.index, at: h.at.toFixed(2), seconds: h.seconds.toFixed(2) });
    }
    if (!this.masterWritten && this.masterRenditions.every((r) => this.listedEnd.has(r.name)) && !(await this.playlists.readMaster())) {
      await this.playlists.writeMaster(this.masterRenditions);
      this.masterWritten = true;
    }
    return listed;
  }
}
