// What the appservice does with room events from the homeserver: the word
// filter and slow mode for every chatter, whatever client they use (web
// widget, Element, another server), plus bookkeeping of bans made natively.
import type { MatrixClient } from "@vector-im/matrix-bot-sdk";
import { matchWordFilter, messageTexts } from "../lib/chat/rules.ts";
import { chatChannelByRoom, countMessages, forgetBan, moderatorIds, recordBan, type ChatChannel } from "../lib/chat/store.ts";
import { logger } from "../lib/log.ts";
import { botUserId, virtualUserId } from "../lib/matrix/ids.ts";
import { redis } from "../lib/redis.ts";
import { REDIS_KEY } from "../lib/redisKeys.ts";
import type { MatrixEvent } from "./hsAppService.ts";

const log = logger("appservice");

interface RoomInfo {
  channel: ChatChannel | null;
  privileged: Set<string>;
  at: number;
}

// Settings change rarely and messages come in bursts: a short cache keeps the
// database out of the per-message path. Changes made through us invalidate it.
const CACHE_MS = 2000;

export class RoomRules {
  private readonly cache = new Map<string, RoomInfo>();

  constructor(private readonly bot: MatrixClient) {}

  invalidate(roomIdOrAll?: string): void {
    if (roomIdOrAll) this.cache.delete(roomIdOrAll);
    else this.cache.clear();
  }

  private async room(roomId: string): Promise<RoomInfo> {
    const hit = this.cache.get(roomId);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit;
    const channel = await chatChannelByRoom(roomId);
    const privileged = new Set<string>([botUserId()]);
    if (channel) {
      privileged.add(virtualUserId(channel.ownerId));
      for (const m of await moderatorIds(channel.id)) privileged.add(m);
    }
    const info = { channel, privileged, at: Date.now() };
    this.cache.set(roomId, info);
    return info;
  }

  /** One transaction's events, in order. */
  async process(events: MatrixEvent[]): Promise<void> {
    const counts = new Map<string, number>();
    for (const ev of events) {
      try {
        if (ev.type === "m.room.member") await this.onMembership(ev);
        else if (ev.type === "m.room.message" || ev.type === "m.sticker") {
          const channelId = await this.onMessage(ev);
          if (channelId) counts.set(channelId, (counts.get(channelId) ?? 0) + 1);
        }
      } catch (err) {
        // One event we cannot act on must not hold back the room's other events.
        log.error("could not apply chat rules to an event", { roomId: ev.room_id, type: ev.type, error: String(err) });
      }
    }
    for (const [channelId, n] of counts) {
      // The channel may have been deleted since; a count is not worth a retried transaction.
      await countMessages(channelId, n).catch((err) => log.warn("could not count chat messages", { channelId, error: String(err) }));
    }
  }

  /** Returns the channel id when the message counts towards the channel's chat. */
  private async onMessage(ev: MatrixEvent): Promise<string | null> {
    const { channel, privileged } = await this.room(ev.room_id);
    if (!channel || ev.sender === botUserId()) return null;
    if (privileged.has(ev.sender)) return channel.id;
    const word = matchWordFilter(messageTexts(ev.content).join("\n"), channel.chatWordFilter);
    if (word !== null) {
      await this.bot.redactEvent(ev.room_id, ev.event_id, "Removed by the channel's word filter");
      log.info("word filter removed a message", { channelId: channel.id });
      return channel.id;
    }
    const isEdit = (ev.content?.["m.relates_to"] as { rel_type?: string } | undefined)?.rel_type === "m.replace";
    if (channel.chatSlowModeSeconds > 0 && !isEdit) {
      const key = REDIS_KEY.chatSlowMode(ev.room_id, ev.sender);
      // The event id as value: the same event seen again (a retried transaction) is not "too soon".
      const set = await redis().set(key, ev.event_id, "PX", channel.chatSlowModeSeconds * 1000, "NX");
      if (set === null && (await redis().get(key)) !== ev.event_id) {
        await this.bot.redactEvent(ev.room_id, ev.event_id, `Slow mode: one message every ${channel.chatSlowModeSeconds} s`);
        return channel.id;
      }
    }
    return channel.id;
  }

  /** Bans made natively (a moderator in Element) show up in the dashboard too. */
  private async onMembership(ev: MatrixEvent): Promise<void> {
    if (!ev.state_key || ev.sender === botUserId()) return;
    const { channel } = await this.room(ev.room_id);
    if (!channel) return;
    const membership = ev.content?.membership;
    const before = (ev.unsigned?.prev_content as { membership?: string } | undefined)?.membership;
    if (membership === "ban") await recordBan(channel.id, ev.state_key, String(ev.content?.reason ?? "").slice(0, 300), null);
    else if (before === "ban") await forgetBan(channel.id, ev.state_key);
  }
}
