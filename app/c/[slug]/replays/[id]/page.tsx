import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { formatDate } from "../../../../../lib/format.ts";
import { formatDuration } from "../../../../../lib/formatDuration.ts";
import { getPublicReplay, type ReplayMarker } from "../../../../../lib/replays.ts";
import { ReplayPlayer } from "../../../../_components/ReplayPlayer.tsx";

export const dynamic = "force-dynamic";

type Params = { params: Promise<{ slug: string; id: string }> };

async function load(params: Params["params"]) {
  const { slug, id } = await params;
  const replay = await getPublicReplay(id);
  return replay && replay.channel.slug === slug ? replay : null;
}

export async function generateMetadata({ params }: Params): Promise<Metadata> {
  return { title: (await load(params))?.title ?? "Replay not found" };
}

export default async function ReplayPage({ params }: Params) {
  const replay = await load(params);
  if (!replay) notFound();
  const base = `/hls/live/${replay.sessionId}`;
  const thumbs = Array.from({ length: replay.thumbnailCount }, (_, i) => ({
    at: i * replay.thumbnailSeconds,
    url: `${base}/thumbs/${String(i + 1).padStart(4, "0")}.jpg`,
  }));
  return (
    <div className="stack">
      <Link href={`/c/${replay.channel.slug}`} className="small">← {replay.channel.title}</Link>
      <h1 className="title-text" data-testid="replay-heading">{replay.title}</h1>
      <p className="muted small" style={{ margin: 0 }}>
        Streamed {formatDate(replay.session.startedAt)} · {formatDuration(replay.durationSeconds)}
        {replay.exportStatus === "ready" && (
          <>
            {" · "}
            <a href={`${base}/replay.mp4`} download data-testid="download-mp4">Download MP4</a>
          </>
        )}
      </p>
      <ReplayPlayer src={`${base}/vod.m3u8`} poster={replay.hasPoster ? `${base}/poster.jpg` : undefined} duration={replay.durationSeconds} markers={replay.markers as unknown as ReplayMarker[]} thumbs={thumbs} />
    </div>
  );
}
