import Link from "next/link";
import { notFound } from "next/navigation";
import { getOwnedChannel } from "../../../../lib/channels.ts";
import { describeDefaultLadder } from "../../../../lib/capacity.ts";
import { config } from "../../../../lib/config.ts";
import { NotFoundError } from "../../../../lib/errors.ts";
import { chatModerationState } from "../../../../lib/chat/store.ts";
import { roomAlias } from "../../../../lib/matrix/ids.ts";
import { ChannelForm, DeleteChannelForm } from "../../../_components/ChannelForms.tsx";
import { ChatSettings } from "../../../_components/chat/ChatSettings.tsx";
import { requireUser } from "../../../_lib/auth.ts";

export const metadata = { title: "Channel settings" };
export const dynamic = "force-dynamic";

export default async function ChannelSettingsPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const user = await requireUser(`/dashboard/channels/${id}`);
  const channel = await getOwnedChannel(user.id, id).catch((err) => {
    if (err instanceof NotFoundError) notFound();
    throw err;
  });
  const chat = await chatModerationState(user.id, channel.id);
  return (
    <>
      <div className="card" style={{ maxWidth: 640 }}>
        <Link href="/dashboard" className="small">← Dashboard</Link>
        <h1 className="title-text">Settings: {channel.title}</h1>
        <ChannelForm
          defaultLadder={await describeDefaultLadder()}
          channel={{
            id: channel.id,
            slug: channel.slug,
            title: channel.title,
            description: channel.description,
            reconnectGraceMinutes: String(Math.round(channel.reconnectGraceSeconds / 60)),
            ladder: channel.ladder ?? "",
            keepReplays: channel.keepReplays,
            webrtcEnabled: channel.webrtcEnabled,
          }}
        />
      </div>
      <div className="card" style={{ maxWidth: 640 }} id="chat">
        <h2>Chat</h2>
        <ChatSettings
          channelId={channel.id}
          slug={chat.slug}
          initial={{
            roomId: chat.matrixRoomId,
            alias: roomAlias(chat.slug),
            slowModeSeconds: chat.chatSlowModeSeconds,
            wordFilter: chat.chatWordFilter,
            messageCount: chat.chatMessageCount,
            moderators: chat.chatModerators.map((m) => ({ matrixUserId: m.matrixUserId, grantedAt: m.grantedAt.toISOString() })),
            bans: chat.chatBans.map((b) => ({ matrixUserId: b.matrixUserId, reason: b.reason, until: b.until?.toISOString() ?? null, createdAt: b.createdAt.toISOString() })),
          }}
        />
      </div>
      <div className="card" style={{ maxWidth: 640, borderColor: "var(--danger)" }}>
        <h2>Delete channel</h2>
        <p className="muted">Deletes the channel, its stream keys and its page. This cannot be undone.</p>
        <DeleteChannelForm id={channel.id} slug={channel.slug} />
      </div>
    </>
  );
}
