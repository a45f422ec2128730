// Moderation commands from the dashboard and the web chat, carried out by the
// bot (power 100), recorded in PostgreSQL so the dashboard lists them and
// timeouts are lifted even after a restart.
import { randomUUID } from "node:crypto";
import type { MatrixClient } from "@vector-im/matrix-bot-sdk";
import { describeTimeout, type ModerationCommand } from "../lib/chat/rules.ts";
import { expiredTimeouts, forgetBan, moderatorIds, recordBan, setModerator, type ChatChannel } from "../lib/chat/store.ts";
import { logger } from "../lib/log.ts";
import { botUserId, isMatrixUserId, virtualUserId } from "../lib/matrix/ids.ts";
import { emitWebhookEvent } from "../lib/webhooks/events.ts";
import type { RoomKeeper } from "./rooms.ts";

const log = logger("appservice");

export class ModerationRefused extends Error {}
/** The message (or room) the command names does not exist: the web answers 404. */
export class ModerationTargetMissing extends Error {}

export type ActorRole = "owner" | "moderator";

export class Moderation {
  constructor(
    private readonly bot: MatrixClient,
    private readonly rooms: RoomKeeper,
    private readonly onChange: (channelId: string) => void,
  ) {}

  async apply(channel: ChatChannel, cmd: ModerationCommand, actor: ActorRole): Promise<void> {
    const roomId = channel.matrixRoomId ?? (await this.rooms.sync(channel.id));
    if (!roomId) throw new ModerationRefused("This channel has no chat room yet.");
    if ("userId" in cmd) {
      if (!isMatrixUserId(cmd.userId)) throw new ModerationRefused("That is not a Matrix user id (@name:server).");
      if (cmd.action === "moderator" && actor !== "owner") throw new ModerationRefused("Only the channel owner can appoint moderators.");
      const untouchable = [botUserId(), virtualUserId(channel.ownerId)];
      // A moderator cannot act on another moderator; the owner can.
      if (actor === "moderator") untouchable.push(...(await moderatorIds(channel.id)));
      if (untouchable.includes(cmd.userId)) throw new ModerationRefused("You cannot do that to this user.");
    }
    switch (cmd.action) {
      case "ban":
        await recordBan(channel.id, cmd.userId, cmd.reason, null);
        await this.bot.banUser(cmd.userId, roomId, cmd.reason || "Banned by a moderator");
        break;
      case "timeout": {
        const until = new Date(Date.now() + cmd.seconds * 1000);
        await recordBan(channel.id, cmd.userId, cmd.reason, until);
        await this.bot.banUser(cmd.userId, roomId, `Timed out for ${describeTimeout(cmd.seconds)}${cmd.reason ? `: ${cmd.reason}` : ""}`);
        break;
      }
      case "unban":
        await forgetBan(channel.id, cmd.userId);
        await this.bot.unbanUser(cmd.userId, roomId);
        break;
      case "kick":
        await this.bot.kickUser(cmd.userId, roomId, cmd.reason || "Removed by a moderator");
        break;
      case "redact":
        await this.requireEvent(roomId, cmd.eventId);
        await this.bot.redactEvent(roomId, cmd.eventId, cmd.reason || "Removed by a moderator");
        break;
      case "moderator":
        await setModerator(channel.id, cmd.userId, cmd.grant);
        if (!cmd.grant) this.rooms.noteRevoked(channel.id, cmd.userId);
        await this.rooms.sync(channel.id);
        break;
    }
    this.onChange(channel.id);
    log.info("moderation applied", { channelId: channel.id, action: cmd.action, actor });
    // Each command is an occasion of its own; the webhook only queues a job.
    void emitWebhookEvent(channel.id, "chat.moderation", randomUUID(), { ...cmd, actor });
  }

  /**
   * The homeserver accepts a redaction of any well-formed event id, even one
   * that never existed or belongs to another room, and answers 200: ask first.
   */
  private async requireEvent(roomId: string, eventId: string): Promise<void> {
    try {
      await this.bot.getEvent(roomId, eventId);
    } catch (err) {
      const e = err as { statusCode?: number; body?: { errcode?: string } };
      if (e.statusCode === 404 || e.body?.errcode === "M_NOT_FOUND") throw new ModerationTargetMissing("There is no such message in this chat.");
      throw err;
    }
  }

  /** Lifts timeouts whose time is up. Runs every second; the rows survive restarts. */
  async liftExpiredTimeouts(): Promise<number> {
    const due = await expiredTimeouts();
    for (const t of due) {
      if (t.channel.matrixRoomId) {
        await this.bot.unbanUser(t.matrixUserId, t.channel.matrixRoomId).catch((err) => {
          // Someone already unbanned them, or they left: either way the timeout is over.
          log.warn("could not lift a timeout", { channelId: t.channelId, error: String(err) });
        });
      }
      await forgetBan(t.channelId, t.matrixUserId);
    }
    return due.length;
  }
}
