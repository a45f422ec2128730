// A live session's HLS tree in the media store:
//   live/<session>/master.m3u8
//   live/<session>/<rendition>/index.m3u8   (what players read)
//   live/<session>/<rendition>/index.json   (the full segment list, for takeover and replays)
//   live/<session>/<rendition>/p<part>e<epoch>-NNNNNN.ts
// Every change happens under the session's lock, by whichever process holds the pen (live/pen.ts).
import { config } from "../config.ts";
import type { Rendition } from "../ffmpeg/liveLadder.ts";
import { withLock } from "../lock.ts";
import type { MediaStore } from "../media/store.ts";
import { REDIS_KEY } from "../redisKeys.ts";
import { appendSegment, emptyPlaylist, endPlaylist, renderMasterPlaylist, renderMediaPlaylist, type MediaPlaylist, type Segment } from "./playlist.ts";

export const liveKey = (sessionId: string) => `live/${sessionId}`;

export interface MasterInfo {
  renditions: Rendition[];
}

export class LivePlaylists {
  constructor(
    readonly store: MediaStore,
    readonly sessionId: string,
    readonly segmentSeconds: number,
  ) {}

  private key(...parts: string[]) {
    return [liveKey(this.sessionId), ...parts].join("/");
  }

  lock<T>(fn: () => Promise<T>): Promise<T> {
    return withLock(REDIS_KEY.playlistsLock(this.sessionId), fn);
  }

  async load(rendition: string): Promise<MediaPlaylist> {
    const text = await this.store.readText(this.key(rendition, "index.json"));
    return text ? (JSON.parse(text) as MediaPlaylist) : emptyPlaylist(this.segmentSeconds);
  }

  private async save(rendition: string, pl: MediaPlaylist): Promise<void> {
    await this.store.writeTextAtomic(this.key(rendition, "index.json"), JSON.stringify(pl));
    await this.store.writeTextAtomic(this.key(rendition, "index.m3u8"), renderMediaPlaylist(pl, { window: config.hlsWindowSegments }));
  }

  /** Caller holds the lock. `startsRun`: the first segment of a new part, attempt or slate run,
   * which follows the earlier segments across an EXT-X-DISCONTINUITY. */
  async append(rendition: string, seg: Segment, { startsRun = false } = {}): Promise<MediaPlaylist> {
    const current = await this.load(rendition);
    const pl = appendSegment(current, startsRun && current.segments.length > 0 ? { ...seg, discontinuity: true } : seg);
    await this.save(rendition, pl);
    return pl;
  }

  async readMaster(): Promise<MasterInfo | null> {
    const text = await this.store.readText(this.key("master.json"));
    return text ? (JSON.parse(text) as MasterInfo) : null;
  }

  /** Caller holds the lock. */
  async writeMaster(renditions: Rendition[]): Promise<void> {
    await this.store.writeTextAtomic(this.key("master.json"), JSON.stringify({ renditions } satisfies MasterInfo));
    await this.store.writeTextAtomic(this.key("master.m3u8"), renderMasterPlaylist(renditions, (r) => `${r.name}/index.m3u8`));
  }

  /** Appends EXT-X-ENDLIST to every rendition. Caller holds the lock. */
  async end(): Promise<void> {
    const master = await this.readMaster();
    for (const r of master?.renditions ?? []) {
      const pl = await this.load(r.name);
      if (!pl.ended) await this.save(r.name, endPlaylist(pl));
    }
  }
}
