// What the appservice does with room events from the homeserver: the word
// filter (on every event a chatter sends, and on display names) and slow mode
// for every chatter, whatever client they use (web widget, Element, another
// server), plus bookkeeping of bans made natively.
import type { MatrixClient } from "@vector-im/matrix-bot-sdk";
import { matchWordFilter, nameBreaksFilter } from "../lib/chat/rules.ts";
import { eventTexts } from "../lib/chat/visibleText.ts";
import { chatChannelByRoom, forgetBan, moderatorIds, recordBan, type ChatChannel } from "../lib/chat/store.ts";
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
const NOTICE_GAP_MS = 60_000;

const FILTER_REASON = "Removed by the channel's word filter";
// Events that count as chat messages: counted per channel, and held to slow mode.
const MESSAGE_TYPES = new Set(["m.room.message", "m.sticker"]);

export class RoomRules {
  private readonly cache = new Map<string, RoomInfo>();
  /** When a hidden display name was last announced, by room and user. */
  private readonly noticed = new Map<string, number>();

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
    // A room whose channel is not known yet (just created) is asked again next time.
    if (channel) this.cache.set(roomId, info);
    return info;
  }

  /** The channel whose room this is (cached with the room's rules), or null. */
  async channelOf(roomId: string): Promise<ChatChannel | null> {
    return (await this.room(roomId)).channel;
  }

  /**
   * One transaction's events, in order. Returns the ids of those the rules removed (redacted),
   * and the chat messages by channel, counted once the transaction is recorded (recordTransaction).
   */
  async process(events: MatrixEvent[]): Promise<{ removed: Set<string>; messages: Map<string, number> }> {
    const counts = new Map<string, number>();
    const removed = new Set<string>();
    for (const ev of events) {
      try {
        if (ev.type === "m.room.member") {
          if (await this.onMembership(ev)) removed.add(ev.event_id);
        } else if (ev.state_key === undefined) {
          const seen = await this.onEvent(ev);
          if (seen.removed) removed.add(ev.event_id);
          if (seen.channelId && MESSAGE_TYPES.has(ev.type)) counts.set(seen.channelId, (counts.get(seen.channelId) ?? 0) + 1);
        }
      } catch (err) {
        // One event we cannot act on must not hold back the room's other events.
        log.error("could not apply chat rules to an event", { roomId: ev.room_id, type: ev.type, error: String(err) });
      }
    }
    return { removed, messages: counts };
  }

  /**
   * The word filter on any event a chatter sends (messages, reactions, polls,
   * edits, custom types), slow mode on messages. `channelId` is set when the
   * event is in a channel's room and not the bot's own.
   */
  private async onEvent(ev: MatrixEvent): Promise<{ channelId: string | null; removed: boolean }> {
    const { channel, privileged } = await this.room(ev.room_id);
    if (!channel || ev.sender === botUserId()) return { channelId: null, removed: false };
    const seen = { channelId: channel.id, removed: false };
    if (privileged.has(ev.sender)) return seen;
    if (matchWordFilter(eventTexts(ev.type, ev.content).join("\n"), channel.chatWordFilter) !== null) {
      await this.bot.redactEvent(ev.room_id, ev.event_id, FILTER_REASON);
      log.info("word filter removed an event", { channelId: channel.id, type: ev.type.slice(0, 100) });
      return { ...seen, removed: true };
    }
    const isEdit = (ev.content?.["m.relates_to"] as { rel_type?: string } | undefined)?.rel_type === "m.replace";
    if (channel.chatSlowModeSeconds > 0 && MESSAGE_TYPES.has(ev.type) && !isEdit) {
      const key = REDIS_KEY.chatSlowMode(ev.room_id, ev.sender);
      // The event id as value: the same event seen again (a retried transaction) is not "too soon".
      const set = await redis().set(key, ev.event_id, "PX", channel.chatSlowModeSeconds * 1000, "NX");
      if (set === null && (await redis().get(key)) !== ev.event_id) {
        await this.bot.redactEvent(ev.room_id, ev.event_id, `Slow mode: one message every ${channel.chatSlowModeSeconds} s`);
        return { ...seen, removed: true };
      }
    }
    return seen;
  }

  /**
   * Bans made natively (a moderator in Element) show up in the dashboard too.
   * A chatter's display name that breaks the word filter is hidden. Returns
   * whether the member event was redacted.
   */
  private async onMembership(ev: MatrixEvent): Promise<boolean> {
    if (!ev.state_key || ev.sender === botUserId()) return false;
    const { channel, privileged } = await this.room(ev.room_id);
    if (!channel) return false;
    const membership = ev.content?.membership;
    const before = (ev.unsigned?.prev_content as { membership?: string } | undefined)?.membership;
    if (membership === "ban") await recordBan(channel.id, ev.state_key, String(ev.content?.reason ?? "").slice(0, 300), null);
    else if (before === "ban") await forgetBan(channel.id, ev.state_key);
    // The name is the member's (state_key), whoever sent the event.
    const name = ev.content?.displayname;
    if (privileged.has(ev.state_key) || typeof name !== "string" || !nameBreaksFilter(name, channel.chatWordFilter)) return false;
    // A redacted member event keeps only its membership: clients show the user id instead.
    await this.bot.redactEvent(ev.room_id, ev.event_id, FILTER_REASON);
    log.info("word filter hid a display name", { channelId: channel.id, userId: ev.state_key });
    if (this.mayNotice(ev.room_id, ev.state_key)) {
      await this.bot
        .sendNotice(ev.room_id, `A display name was hidden by the word filter: ${ev.state_key}`)
        .catch((err) => log.warn("could not announce a hidden display name", { channelId: channel.id, error: String(err) }));
    }
    return true;
  }

  /** At most one notice per member and minute: rejoining, or a retried transaction, must not flood the room. */
  private mayNotice(roomId: string, userId: string): boolean {
    const key = `${roomId} ${userId}`;
    const now = Date.now();
    if (now - (this.noticed.get(key) ?? -Infinity) < NOTICE_GAP_MS) return false;
    if (this.noticed.size >= 1000) this.noticed.clear();
    this.noticed.set(key, now);
    return true;
  }
}
