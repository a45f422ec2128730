// HLS playlists as data → text. The worker owns playlists (ffmpeg only cuts
// segments), so media sequence numbers, discontinuities, PROGRAM-DATE-TIME and
// ENDLIST follow the live session, not any one ffmpeg process.
import type { Rendition } from "../ffmpeg/liveLadder.ts";

export interface Segment {
  uri: string;
  duration: number;
  /** Ingest wall clock of the segment's first frame (ms since epoch). */
  programDateTime?: number;
  /** A discontinuity precedes this segment (new part, new encoder attempt, slate). */
  discontinuity?: boolean;
  part?: number;
  /** Start of the segment on its part's source timeline (seconds): where a restarted transcode resumes. */
  mediaStart?: number;
  /** A "be right back" segment: played live, left out of the replay. */
  slate?: boolean;
}

export interface MediaPlaylist {
  version: 1;
  targetDuration: number;
  /** Sequence number of segments[0]. */
  firstSequence: number;
  segments: Segment[];
  ended: boolean;
}

export function emptyPlaylist(targetDuration: number): MediaPlaylist {
  return { version: 1, targetDuration, firstSequence: 0, segments: [], ended: false };
}

export function appendSegment(pl: MediaPlaylist, seg: Segment): MediaPlaylist {
  // RFC 8216: each EXTINF rounded to the nearest integer must not exceed the target duration.
  const targetDuration = Math.max(pl.targetDuration, Math.round(seg.duration));
  return { ...pl, targetDuration, segments: [...pl.segments, seg] };
}

export function endPlaylist(pl: MediaPlaylist): MediaPlaylist {
  return { ...pl, ended: true };
}

export interface RenderOptions {
  /** Live: how many segments to list (the sliding window); undefined lists all (VOD/event). */
  window?: number;
  playlistType?: "EVENT" | "VOD";
}

export function renderMediaPlaylist(pl: MediaPlaylist, opts: RenderOptions = {}): string {
  const start = opts.window !== undefined && !pl.ended ? Math.max(0, pl.segments.length - opts.window) : 0;
  const shown = pl.segments.slice(start);
  // Discontinuity sequence = number of discontinuities that scrolled out of the window.
  let discontinuitySequence = 0;
  for (let i = 0; i < start; i++) if (pl.segments[i].discontinuity && i > 0) discontinuitySequence++;
  const lines = [
    "#EXTM3U",
    "#EXT-X-VERSION:3",
    `#EXT-X-TARGETDURATION:${pl.targetDuration}`,
    `#EXT-X-MEDIA-SEQUENCE:${pl.firstSequence + start}`,
    `#EXT-X-DISCONTINUITY-SEQUENCE:${discontinuitySequence}`,
    "#EXT-X-INDEPENDENT-SEGMENTS",
  ];
  if (opts.playlistType) lines.push(`#EXT-X-PLAYLIST-TYPE:${opts.playlistType}`);
  shown.forEach((s, i) => {
    if (s.discontinuity && (i > 0 || start > 0)) lines.push("#EXT-X-DISCONTINUITY");
    if (s.programDateTime !== undefined) lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(s.programDateTime).toISOString()}`);
    lines.push(`#EXTINF:${s.duration.toFixed(3)},`, s.uri);
  });
  if (pl.ended) lines.push("#EXT-X-ENDLIST");
  return lines.join("\n") + "\n";
}

export function renderMasterPlaylist(renditions: Rendition[], uriOf: (r: Rendition) => string): string {
  const lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"];
  for (const r of renditions) {
    lines.push(
      `#EXT-X-STREAM-INF:BANDWIDTH=${r.bandwidth},AVERAGE-BANDWIDTH=${Math.round((r.videoKbps + r.audioKbps) * 1000)},` +
        `RESOLUTION=${r.width}x${r.height},FRAME-RATE=${r.fps.toFixed(3)},CODECS="${r.codecs}",NAME="${r.name}"`,
      uriOf(r),
    );
  }
  return lines.join("\n") + "\n";
}

/** A replay's master playlist: written to the store (for players reading the bucket), and answered by the web app from the replay's row. */
export function replayMasterPlaylist(renditions: Rendition[]): string {
  return renderMasterPlaylist(renditions, (r) => `${r.name}/vod.m3u8`);
}
