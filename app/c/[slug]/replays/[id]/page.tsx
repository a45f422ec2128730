import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { PAGE_PATH } from "../../../../../lib/embed.ts";
import { formatDate } from "../../../../../lib/format.ts";
import { formatDuration } from "../../../../../lib/formatDuration.ts";
import { replayStart } from "../../../../../lib/replayLink.ts";
import { replayShareInfo } from "../../../../../lib/sharing.ts";
import { ReplayPlayer } from "../../../../_components/ReplayPlayer.tsx";
import { loadPublicReplay, replayMedia } from "../../../../_lib/replayPage.ts";
import { sharingMetadata } from "../../../../_lib/sharing.ts";

export const dynamic = "force-dynamic";

type Params = { params: Promise<{ slug: string; id: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> };

export async function generateMetadata({ params }: Params): Promise<Metadata> {
  const { slug, id } = await params;
  const info = await replayShareInfo(slug, id);
  return info ? sharingMetadata(info) : { title: "Replay not found" };
}

export default async function ReplayPage({ params, searchParams }: Params) {
  const { slug, id } = await params;
  const replay = await loadPublicReplay(slug, id);
  if (!replay) notFound();
  const media = replayMedia(replay);
  const start = replayStart((await searchParams).t, replay.durationSeconds);
  return (
    <div className="stack">
      <Link href={`/c/${replay.channel.slug}`} className="small">← {replay.channel.title}</Link>
      <h1 className="title-text" data-testid="replay-heading">{replay.title}</h1>
      <p className="muted small" style={{ margin: 0 }}>
        Streamed {formatDate(replay.session.startedAt)} · {formatDuration(replay.durationSeconds)}
        {replay.exportStatus === "ready" && (
          <>
            {" · "}
            <a href={media.mp4} download data-testid="download-mp4">Download MP4</a>
          </>
        )}
      </p>
      <ReplayPlayer {...media.player} start={start} chat pagePath={PAGE_PATH.replay(replay.channel.slug, replay.id)} />
    </div>
  );
}
