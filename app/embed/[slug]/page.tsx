// The player embed (/embed/<channel>): the live player alone, for other sites'
// iframes (proxy.ts lets any site frame /embed/…; every other page stays
// unframeable). `?chat=1` puts the chat beside it, `?autoplay` and `?muted`
// choose how it starts.
import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { getPublicChannel } from "../../../lib/channels.ts";
import { publicChat } from "../../../lib/chat/publicChat.ts";
import { PAGE_PATH, embedFlags } from "../../../lib/embed.ts";
import { publicLiveStatus } from "../../../lib/liveStatus.ts";
import { ChannelLive } from "../../_components/ChannelLive.tsx";
import { ChatWidget } from "../../_components/chat/ChatWidget.tsx";
import { currentUser } from "../../_lib/auth.ts";

export const dynamic = "force-dynamic";

type Props = { params: Promise<{ slug: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> };

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const channel = await getPublicChannel((await params).slug);
  return { title: channel?.title ?? "Channel not found", robots: { index: false } };
}

export default async function PlayerEmbed({ params, searchParams }: Props) {
  const channel = await getPublicChannel((await params).slug);
  if (!channel) notFound();
  const flags = embedFlags(await searchParams);
  const [live, chat] = await Promise.all([
    publicLiveStatus(channel.id),
    flags.chat ? currentUser().then((viewer) => publicChat(channel.slug, viewer)) : null,
  ]);
  return (
    <div className={`embed${chat ? " embed-with-chat" : ""}`} data-testid="player-embed">
      <div className="embed-stage">
        <ChannelLive slug={channel.slug} title={channel.title} initial={live} embed={{ autoStart: flags.autoplay, muted: flags.muted }} />
        <a className="embed-link small" href={PAGE_PATH.channel(channel.slug)} target="_blank" rel="noopener">
          {channel.title} ↗
        </a>
      </div>
      {chat && (
        <aside className="embed-chat" aria-label="Channel chat">
          <ChatWidget slug={channel.slug} initial={chat} embed />
        </aside>
      )}
    </div>
  );
}
