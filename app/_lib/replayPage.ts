// A replay as its page and its player embed show it.
import { getPublicReplay, type ReplayMarker } from "../../lib/replays.ts";
import { MEDIA_KEY, mediaUrl } from "../../lib/media/layout.ts";

/** The replay, when it belongs to the channel named in the URL. */
export async function loadPublicReplay(slug: string, id: string) {
  const replay = await getPublicReplay(id);
  return replay && replay.channel.slug === slug ? replay : null;
}

/** The replay's media, and what its player needs (the page and the embed). */
export function replayMedia(replay: NonNullable<Awaited<ReturnType<typeof loadPublicReplay>>>) {
  const id = replay.sessionId;
  return {
    mp4: mediaUrl(MEDIA_KEY.mp4(id)),
    player: {
      replayId: replay.id,
      src: mediaUrl(MEDIA_KEY.vodMaster(id)),
      poster: replay.hasPoster ? mediaUrl(MEDIA_KEY.poster(id)) : undefined,
      duration: replay.durationSeconds,
      markers: replay.markers as unknown as ReplayMarker[],
      thumbs: Array.from({ length: replay.thumbnailCount }, (_, i) => ({
        at: i * replay.thumbnailSeconds,
        url: mediaUrl(MEDIA_KEY.thumb(id, i + 1)),
      })),
    },
  };
}
