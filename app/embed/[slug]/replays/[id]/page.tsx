// A replay's player embed (/embed/<channel>/replays/<id>): what oEmbed and the
// replay page's player tags point at. `?t=` starts it at a moment, `?chat=1`
// adds the chat replay, `?autoplay` and `?muted` as for the live embed.
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { PAGE_PATH, embedFlags } from "../../../../../lib/embed.ts";
import { replayStart } from "../../../../../lib/replayLink.ts";
import { ReplayPlayer } from "../../../../_components/ReplayPlayer.tsx";
import { loadPublicReplay, replayMedia } from "../../../../_lib/replayPage.ts";

export const dynamic = "force-dynamic";

type Props = { params: Promise<{ slug: string; id: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { slug, id } = await params;
  const replay = await loadPublicReplay(slug, id);
  return { title: replay?.title ?? "Replay not found", robots: { index: false } };
}

export default async function ReplayEmbed({ params, searchParams }: Props) {
  const { slug, id } = await params;
  const replay = await loadPublicReplay(slug, id);
  if (!replay) notFound();
  const sp = await searchParams;
  const flags = embedFlags(sp);
  const media = replayMedia(replay);
  const pagePath = PAGE_PATH.replay(replay.channel.slug, replay.id);
  return (
    <div className="embed" data-testid="player-embed">
      <div className="embed-stage">
        <ReplayPlayer
          {...media.player}
          thumbs={[]}
          start={replayStart(sp.t, replay.durationSeconds)}
          chat={flags.chat}
          pagePath={pagePath}
          embed
          autoplay={flags.autoplay}
          muted={flags.muted}
        />
        <a className="embed-link small" href={pagePath} target="_blank" rel="noopener">
          {replay.title} ↗
        </a>
      </div>
    </div>
  );
}
