// A channel's room: created with the channel, kept in step with it (name,
// topic, alias, power levels, guest access), closed when the channel goes.
import type { MatrixClient } from "@vector-im/matrix-bot-sdk";
import { config } from "../lib/config.ts";
import { channelPowerLevels, type PowerLevelsContent } from "../lib/chat/rules.ts";
import { chatChannel, moderatorIds, setChannelRoom, type ChatChannel } from "../lib/chat/store.ts";
import { logger } from "../lib/log.ts";
import { botUserId, roomAlias, roomAliasLocalpart, virtualUserId } from "../lib/matrix/ids.ts";

const log = logger("appservice");

/**
 * "This room has no policy server" (MSC4284), said explicitly. Synapse looks the room's policy
 * server up twice for every message it creates, and without an `m.room.policy` event each look
 * also tries the unstable type: four uncached state queries per chat message. An empty policy
 * event names no server (so none is asked) and halves them (bench:chat).
 */
const NO_POLICY_SERVER = { type: "m.room.policy", state_key: "", content: {} };

export function roomTopic(channel: Pick<ChatChannel, "description" | "slug">): string {
  const watch = config.publicUrl ? `Watch: ${config.publicUrl.replace(/\/$/, "")}/c/${channel.slug}` : "";
  return [channel.description.trim(), watch].filter(Boolean).join(" · ").slice(0, 1000);
}

function isNotFound(err: unknown): boolean {
  const e = err as { statusCode?: number; body?: { errcode?: string }; errcode?: string };
  return e?.statusCode === 404 || e?.body?.errcode === "M_NOT_FOUND" || e?.errcode === "M_NOT_FOUND";
}

export class RoomKeeper {
  // One sync per channel at a time: two concurrent first syncs would make two rooms.
  private readonly inFlight = new Map<string, Promise<string | null>>();
  private readonly revoked = new Map<string, Set<string>>();

  constructor(private readonly bot: MatrixClient) {}

  /** Creates the channel's room if needed and brings its state in line. Returns the room id. */
  sync(channelId: string): Promise<string | null> {
    const prev = this.inFlight.get(channelId) ?? Promise.resolve(null);
    const next = prev.catch(() => null).then(() => this.syncNow(channelId));
    this.inFlight.set(channelId, next);
    next.finally(() => this.inFlight.get(channelId) === next && this.inFlight.delete(channelId)).catch(() => {});
    return next;
  }

  isSyncing(channelId: string): boolean {
    return this.inFlight.has(channelId);
  }

  noteRevoked(channelId: string, matrixUserId: string): void {
    if (!this.revoked.has(channelId)) this.revoked.set(channelId, new Set());
    this.revoked.get(channelId)!.add(matrixUserId);
  }

  private async syncNow(channelId: string): Promise<string | null> {
    const channel = await chatChannel(channelId);
    if (!channel) return null;
    const alias = roomAlias(channel.slug);
    const moderators = await moderatorIds(channelId);
    const ownerId = virtualUserId(channel.ownerId);
    let roomId = channel.matrixRoomId;
    if (!roomId) {
      roomId = await this.resolveAlias(alias);
      if (!roomId) {
        roomId = await this.bot.createRoom({
          visibility: "public",
          preset: "public_chat",
          room_alias_name: roomAliasLocalpart(channel.slug),
          name: channel.title,
          topic: roomTopic(channel),
          creation_content: { "m.federate": true },
          initial_state: [
            { type: "m.room.guest_access", state_key: "", content: { guest_access: "can_join" } },
            { type: "m.room.history_visibility", state_key: "", content: { history_visibility: "world_readable" } },
            { type: "m.room.join_rules", state_key: "", content: { join_rule: "public" } },
            NO_POLICY_SERVER,
          ],
          power_level_content_override: channelPowerLevels({ botUserId: botUserId(), ownerUserId: ownerId, moderators }),
        });
        log.info("created the chat room", { channelId, roomId, alias });
      }
      await setChannelRoom(channelId, roomId);
    }
    await this.ensureState(roomId, "m.room.name", { name: channel.title });
    await this.ensureState(roomId, "m.room.topic", { topic: roomTopic(channel) });
    await this.ensureState(roomId, "m.room.guest_access", { guest_access: "can_join" });
    await this.ensureState(roomId, "m.room.history_visibility", { history_visibility: "world_readable" });
    await this.ensureState(roomId, "m.room.join_rules", { join_rule: "public" });
    await this.ensureState(roomId, NO_POLICY_SERVER.type, NO_POLICY_SERVER.content);
    await this.ensureAlias(roomId, alias);
    const existing = (await this.state(roomId, "m.room.power_levels")) as Partial<PowerLevelsContent> | null;
    const revoked = [...(this.revoked.get(channelId) ?? [])].filter((u) => !moderators.includes(u));
    const wanted = channelPowerLevels({ botUserId: botUserId(), ownerUserId: ownerId, moderators, revoked, existing: existing ?? undefined });
    if (JSON.stringify(sorted(existing)) !== JSON.stringify(sorted(wanted))) {
      await this.bot.sendStateEvent(roomId, "m.room.power_levels", "", wanted);
    }
    this.revoked.delete(channelId);
    return roomId;
  }

  private async resolveAlias(alias: string): Promise<string | null> {
    try {
      return await this.bot.resolveRoom(alias);
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  private async state(roomId: string, type: string): Promise<Record<string, unknown> | null> {
    try {
      return await this.bot.getRoomStateEvent(roomId, type, "");
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  private async ensureState(roomId: string, type: string, content: Record<string, unknown>): Promise<void> {
    const current = await this.state(roomId, type);
    if (JSON.stringify(sorted(current)) !== JSON.stringify(sorted(content))) await this.bot.sendStateEvent(roomId, type, "", content);
  }

  /** The alias follows the channel's slug; the previous alias of ours is removed. */
  private async ensureAlias(roomId: string, alias: string): Promise<void> {
    const target = await this.resolveAlias(alias);
    if (target !== roomId) {
      if (target) await this.bot.deleteRoomAlias(alias);
      await this.bot.createRoomAlias(alias, roomId);
    }
    const canonical = (await this.state(roomId, "m.room.canonical_alias")) as { alias?: string } | null;
    if (canonical?.alias !== alias) {
      if (canonical?.alias && canonical.alias.startsWith(`#${config.matrixNamespacePrefix}`)) {
        await this.bot.deleteRoomAlias(canonical.alias).catch(() => {});
      }
      await this.bot.sendStateEvent(roomId, "m.room.canonical_alias", "", { alias });
    }
    await this.bot.setDirectoryVisibility(roomId, "public").catch(() => {});
  }

  /** The channel was deleted: its room stays as history but nobody new joins and the alias is freed. */
  async close(roomId: string, title: string): Promise<void> {
    const canonical = (await this.state(roomId, "m.room.canonical_alias")) as { alias?: string } | null;
    if (canonical?.alias) await this.bot.deleteRoomAlias(canonical.alias).catch(() => {});
    await this.bot.sendNotice(roomId, `The channel "${title}" was deleted. This room is closed.`);
    await this.bot.sendStateEvent(roomId, "m.room.join_rules", "", { join_rule: "invite" });
    await this.bot.setDirectoryVisibility(roomId, "private").catch(() => {});
  }
}

function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (v && typeof v === "object") {
    return Object.fromEntries(
      Object.keys(v as object)
        .sort()
        .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}
