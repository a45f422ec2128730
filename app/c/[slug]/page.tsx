import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { getPublicChannel } from "../../../lib/channels.ts";
import { publicLiveStatus } from "../../../lib/liveStatus.ts";
import { ChannelLive } from "../../_components/ChannelLive.tsx";
import Link from "next/link";
import { formatDate } from "../../../lib/format.ts";
import { formatDuration } from "../../../lib/formatDuration.ts";
import { listChannelReplays } from "../../../lib/replays.ts";
import { MEDIA_KEY, mediaUrl } from "../../../lib/media/layout.ts";
import { publicChat } from "../../../lib/chat/publicChat.ts";
import { ChatWidget } from "../../_components/chat/ChatWidget.tsx";
import { currentUser } from "../../_lib/auth.ts";
import { sharingMetadata } from "../../_lib/sharing.ts";
import { channelShareInfo } from "../../../lib/sharing.ts";

export const dynamic = "force-dynamic";

export async function generateMetadata({ params }: { params: Promise<{ slug: string }> }): Promise<Metadata> {
  const info = await channelShareInfo((await params).slug);
  return info ? sharingMetadata(info) : { title: "Channel not found" };
}

export default async function ChannelPage({ params }: { params: Promise<{ slug: string }> }) {
  const channel = await getPublicChannel((await params).slug);
  if (!channel) notFound();
  const [live, replays, chat] = await Promise.all([
    publicLiveStatus(channel.id),
    listChannelReplays(channel.id),
    currentUser().then((viewer) => publicChat(channel.slug, viewer)),
  ]);
  return (
    <div className="stack">
      <div className="card-head" style={{ marginBottom: 0 }}>
        <div className="grow">
          <h1 className="title-text" data-testid="channel-title">{channel.title}</h1>
          <div className="muted small">by {channel.owner.displayName}</div>
        </div>
      </div>
      <div className="channel-layout">
        <div className="channel-stage">
          <ChannelLive slug={channel.slug} title={channel.title} initial={live} />
        </div>
        {chat && (
          <aside className="channel-chat" aria-label="Channel chat">
            <ChatWidget slug={channel.slug} initial={chat} />
          </aside>
        )}
        <div className="stack channel-more">
          {channel.description ? (
            <p className="description" data-testid="channel-description">{channel.description}</p>
          ) : (
            <p className="muted">No description yet.</p>
          )}
          <h2>Replays</h2>
          {replays.length === 0 ? (
            <p className="muted" data-testid="no-replays">No replays yet. Past streams appear here.</p>
          ) : (
            <div className="grid" data-testid="replay-list">
              {replays.map((r) => (
                <Link key={r.id} href={`/c/${channel.slug}/replays/${r.id}`} className="card replay-card" style={{ color: "inherit", padding: ".75rem" }}>
                  {r.hasPoster ? (
                    // eslint-disable-next-line @next/next/no-img-element
                    <img src={mediaUrl(MEDIA_KEY.poster(r.sessionId))} alt="" loading="lazy" />
                  ) : (
                    <div className="poster-missing small">Preparing…</div>
                  )}
                  <strong className="title-text" style={{ display: "block", marginTop: ".5rem" }}>{r.title}</strong>
                  <span className="muted small">{formatDate(r.createdAt)} · {formatDuration(r.durationSeconds)}</span>
                </Link>
              ))}
            </div>
          )}
        </div>
      </div>
    </div>
  );
}
