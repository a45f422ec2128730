// Stream events as m.notice messages in the channel's room.
import type { ChatNoticeKind } from "../lib/queue.ts";
import { config } from "../lib/config.ts";

export function noticeText(kind: ChatNoticeKind, channel: { title: string; slug: string; reconnectGraceSeconds?: number }, replayId?: string): string {
  const base = config.publicUrl ? config.publicUrl.replace(/\/$/, "") : "";
  switch (kind) {
    case "live":
      return `${channel.title} is live now.`;
    case "reconnecting": {
      const window = channel.reconnectGraceSeconds ? ` (waiting up to ${Math.max(1, Math.round(channel.reconnectGraceSeconds / 60))} min)` : "";
      return `The stream dropped — it should be right back${window}.`;
    }
    case "resumed":
      return "The stream is back.";
    case "ended":
      return "The stream has ended. Thanks for watching!";
    case "replay-ready":
      return `The replay is ready: ${base}/c/${channel.slug}/replays/${replayId ?? ""}`;
  }
}
