import Link from "next/link";
import { notFound } from "next/navigation";
import { getOwnedChannel } from "../../../../lib/channels.ts";
import { describeDefaultLadder } from "../../../../lib/capacity.ts";
import { config } from "../../../../lib/config.ts";
import { NotFoundError } from "../../../../lib/errors.ts";
import { chatModerationState } from "../../../../lib/chat/store.ts";
import { roomAlias } from "../../../../lib/matrix/ids.ts";
import { listApiTokens } from "../../../../lib/apiTokens.ts";
import { listWebhooks } from "../../../../lib/webhooks/store.ts";
import { ChannelForm, DeleteChannelForm } from "../../../_components/ChannelForms.tsx";
import { ChatSettings } from "../../../_components/chat/ChatSettings.tsx";
import { TokenManager } from "../../../_components/TokenManager.tsx";
import { WebhookManager } from "../../../_components/WebhookManager.tsx";
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
  const [chat, tokens, webhooks] = await Promise.all([chatModerationState(user.id, channel.id), listApiTokens(user.id, channel.id), listWebhooks(user.id, channel.id)]);
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
            replayRetentionDays: channel.replayRetentionDays === null ? "" : String(channel.replayRetentionDays),
          }}
          retention={{ days: config.replayRetentionDays }}
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
      <div className="card" style={{ maxWidth: 960 }} id="webhooks">
        <h2>Webhooks</h2>
        <WebhookManager
          channelId={channel.id}
          initialWebhooks={webhooks.map((h) => ({ ...h, createdAt: h.createdAt.toISOString(), previousSecretUntil: h.previousSecretUntil?.toISOString() ?? null }))}
        />
      </div>
      <div className="card" style={{ maxWidth: 640 }} id="api-tokens">
        <h2>API tokens for this channel</h2>
        <TokenManager
          channelId={channel.id}
          initialTokens={tokens.map((t) => ({ ...t, createdAt: t.createdAt.toISOString(), lastUsedAt: t.lastUsedAt?.toISOString() ?? null }))}
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
