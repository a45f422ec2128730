// What a chat widget needs to know about a channel's room.
import { config } from "../config.ts";
import { roomAlias, virtualUserId } from "../matrix/ids.ts";
import { canModerate, chatChannelBySlug } from "./store.ts";

export interface PublicChat {
  channelId: string;
  title: string;
  alias: string;
  roomId: string | null;
  homeserverUrl: string;
  serverName: string;
  slowModeSeconds: number;
  viewer: { displayName: string; matrixUserId: string; canModerate: boolean; isOwner: boolean } | null;
}

export async function publicChat(slug: string, viewer: { id: string; displayName: string } | null): Promise<PublicChat | null> {
  const channel = await chatChannelBySlug(slug);
  if (!channel) return null;
  return {
    channelId: channel.id,
    title: channel.title,
    alias: roomAlias(channel.slug),
    roomId: channel.matrixRoomId,
    homeserverUrl: config.matrixPublicUrl || config.matrixHomeserverUrl,
    serverName: config.matrixServerName,
    slowModeSeconds: channel.chatSlowModeSeconds,
    viewer: viewer
      ? {
          displayName: viewer.displayName,
          matrixUserId: virtualUserId(viewer.id),
          canModerate: await canModerate(viewer.id, channel.id),
          isOwner: channel.ownerId === viewer.id,
        }
      : null,
  };
}
