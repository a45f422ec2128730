// A live session's HLS playlists in the media store (keys in ../media/layout.ts):
// the master playlist, and per rendition what players read (index.m3u8) beside the
// full segment list (index.json, for takeover and replays). Every change happens
// under the session's lock, by whichever process holds the pen (live/pen.ts).
import { config } from "../config.ts";
import type { Rendition } from "../ffmpeg/liveLadder.ts";
import { withLock } from "../lock.ts";
import { MEDIA_KEY } from "../media/layout.ts";
import type { MediaStore } from "../media/store.ts";
import { REDIS_KEY } from "../redisKeys.ts";
import { PlaylistCopy } from "./playlistCopy.ts";
import { appendSegment, emptyPlaylist, endPlaylist, renderMasterPlaylist, renderMediaPlaylist, type MediaPlaylist, type Segment } from "./playlist.ts";


export interface MasterInfo {
  renditions: Rendition[];
}

/** A segment to append, and whether it starts a run (a new part, attempt or slate run). */
export interface Appended {
  seg: Segment;
  startsRun?: boolean;
}

export class LivePlaylists {
  // What this writer last read or wrote. Only the pen's holder writes, so while it holds the
  // pen its copy is the truth; taking the pen (Pen.tryTake) forgets it, since another writer
  // may have written meanwhile. With media in a bucket this saves a read per segment.
  private readonly playlists = new Map<string, MediaPlaylist>();
  private master: MasterInfo | null | undefined;
  /** With media in a bucket, the lists and master data are also kept in Redis (./playlistCopy.ts). */
  private readonly copy: PlaylistCopy | null;
  private copyRead: Promise<void> | null = null;

  constructor(
    readonly store: MediaStore,
    readonly sessionId: string,
    readonly segmentSeconds: number,
  ) {
    this.copy = store.kind === "local" ? null : new PlaylistCopy(sessionId);
  }

  lock<T>(fn: () => Promise<T>): Promise<T> {
    return withLock(REDIS_KEY.playlistsLock(this.sessionId), fn);
  }

  /** Forgets what was read: the next read asks the store. */
  forget(): void {
    this.playlists.clear();
    this.master = undefined;
    this.copyRead = null;
  }

  /** Fills what is not known yet from the Redis copy, all of it in one round trip, once. */
  private fromCopy(): Promise<void> {
    if (!this.copy) return Promise.resolve();
    this.copyRead ??= this.copy.read().then(
      ({ master, lists }) => {
        if (master !== null && this.master === undefined) this.master = JSON.parse(master) as MasterInfo;
        for (const [rendition, json] of lists) if (!this.playlists.has(rendition)) this.playlists.set(rendition, JSON.parse(json) as MediaPlaylist);
      },
      // Redis unreachable: the store has everything the copy would have.
      () => {},
    );
    return this.copyRead;
  }

  async load(rendition: string): Promise<MediaPlaylist> {
    if (!this.playlists.has(rendition)) await this.fromCopy();
    const known = this.playlists.get(rendition);
    if (known) return known;
    const text = await this.store.getText(MEDIA_KEY.segmentList(this.sessionId, rendition));
    const pl = text ? (JSON.parse(text) as MediaPlaylist) : emptyPlaylist(this.segmentSeconds);
    this.playlists.set(rendition, pl);
    return pl;
  }

  private async save(rendition: string, pl: MediaPlaylist): Promise<void> {
    this.playlists.delete(rendition);
    const json = JSON.stringify(pl);
    // The copy first: it may be ahead of the store, never behind (see ./playlistCopy.ts).
    await this.copy?.putList(rendition, json);
    // Both at once: a retried append finds the list or the playlist behind and writes both again.
    await Promise.all([
      this.store.putText(MEDIA_KEY.segmentList(this.sessionId, rendition), json),
      this.store.putText(MEDIA_KEY.mediaPlaylist(this.sessionId, rendition), renderMediaPlaylist(pl, { window: config.hlsWindowSegments })),
    ]);
    this.playlists.set(rendition, pl);
  }

  /** Caller holds the lock. `startsRun`: the first segment of a new part, attempt or slate run,
   * which follows the earlier segments across an EXT-X-DISCONTINUITY. */
  append(rendition: string, seg: Segment, { startsRun = false } = {}): Promise<MediaPlaylist> {
    return this.appendMany(rendition, [{ seg, startsRun }]);
  }

  /**
   * Appends several segments in one write of the rendition's list and playlist. Caller holds
   * the lock. Segments already at the end (a write that failed half-way, retried) are not
   * appended twice.
   */
  async appendMany(rendition: string, added: Appended[]): Promise<MediaPlaylist> {
    let pl = await this.load(rendition);
    const tail = new Set(pl.segments.slice(-2 * added.length).map((s) => s.uri));
    for (const { seg, startsRun } of added) {
      if (tail.has(seg.uri)) continue;
      pl = appendSegment(pl, startsRun && pl.segments.length > 0 ? { ...seg, discontinuity: true } : seg);
    }
    await this.save(rendition, pl);
    return pl;
  }

  /** Called once the playlists are closed: nothing appends any more, and the store has it all. */
  async dropCopy(): Promise<void> {
    await this.copy?.drop();
  }

  async readMaster(): Promise<MasterInfo | null> {
    if (this.master === undefined) await this.fromCopy();
    if (this.master !== undefined) return this.master;
    const text = await this.store.getText(MEDIA_KEY.masterData(this.sessionId));
    this.master = text ? (JSON.parse(text) as MasterInfo) : null;
    return this.master;
  }

  /** Caller holds the lock. The data first: the playlist's presence says the stream is playable. */
  async writeMaster(renditions: Rendition[]): Promise<void> {
    this.master = undefined;
    const data = JSON.stringify({ renditions } satisfies MasterInfo);
    await this.copy?.putMaster(data);
    await this.store.putText(MEDIA_KEY.masterData(this.sessionId), data);
    await this.store.putText(MEDIA_KEY.master(this.sessionId), renderMasterPlaylist(renditions, (r) => `${r.name}/index.m3u8`));
    this.master = { renditions };
  }

  /**
   * Appends EXT-X-ENDLIST to every rendition. Caller holds the lock. `alongside` gets the
   * closed playlists and writes its own objects (the replay's) in the same round of requests:
   * with media in a bucket, each round is a request's latency on the way to the replay.
   */
  async end(alongside?: (master: MasterInfo, closed: Map<string, MediaPlaylist>) => Promise<unknown>): Promise<void> {
    const master = await this.readMaster();
    if (!master) return;
    const loaded = await Promise.all(master.renditions.map(async (r) => [r.name, await this.load(r.name)] as const));
    const closed = new Map(loaded.map(([name, pl]) => [name, endPlaylist(pl)]));
    // Only what players read: the segment list stays as it is, since the session's row
    // (playlistsClosedAt) is what says the playlists are closed, and nothing appends after.
    await Promise.all([
      ...loaded.filter(([, pl]) => !pl.ended).map(([name]) => this.store.putText(MEDIA_KEY.mediaPlaylist(this.sessionId, name), renderMediaPlaylist(closed.get(name)!))),
      alongside?.(master, closed),
    ]);
    for (const [name, pl] of closed) this.playlists.set(name, pl);
  }
}
