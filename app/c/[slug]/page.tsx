import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { getPublicChannel } from "../../../lib/channels.ts";
import { publicLiveStatus } from "../../../lib/liveStatus.ts";
import { ChannelLive } from "../../_components/ChannelLive.tsx";

export const dynamic = "force-dynamic";

export async function generateMetadata({ params }: { params: Promise<{ slug: string }> }): Promise<Metadata> {
  const channel = await getPublicChannel((await params).slug);
  return { title: channel?.title ?? "Channel not found" };
}

export default async function ChannelPage({ params }: { params: Promise<{ slug: string }> }) {
  const channel = await getPublicChannel((await params).slug);
  if (!channel) notFound();
  const live = await publicLiveStatus(channel.id);
  return (
    <div className="stack">
      <div className="card-head" style={{ marginBottom: 0 }}>
        <div className="grow">
          <h1 className="title-text" data-testid="channel-title">{channel.title}</h1>
          <div className="muted small">by {channel.owner.displayName}</div>
        </div>
      </div>
      <div>
        <div className="stack">
          <ChannelLive slug={channel.slug} title={channel.title} initial={live} />
          {channel.description ? (
            <p className="description" data-testid="channel-description">{channel.description}</p>
          ) : (
            <p className="muted">No description yet.</p>
          )}
        </div>
      </div>
    </div>
  );
}
