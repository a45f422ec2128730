// The appservice's side of the chat feed (lib/chat/feed.ts): every room event
// the homeserver pushes becomes, in order, an entry that web processes pass on
// to viewers. What the room's rules removed (word filter, slow mode) never
// becomes an entry, so viewers never see it, not even briefly. The same entries
// are kept for the chat replay (lib/chat/chatArchive.ts).
import type { MatrixClient } from "@vector-im/matrix-bot-sdk";
import { HIDDEN_NAME, feedContent, type FeedEntry } from "../lib/chat/feed.ts";
import { appendEntries, feedIsReady, markFeedReady } from "../lib/chat/feedStore.ts";
import { archiveFeedEntries } from "../lib/chat/chatArchive.ts";
import { matchWordFilter, nameBreaksFilter } from "../lib/chat/rules.ts";
import { eventTexts } from "../lib/chat/visibleText.ts";
import type { ChatChannel } from "../lib/chat/store.ts";
import { logger } from "../lib/log.ts";
import type { MatrixEvent } from "./hsAppService.ts";
import { COUNTER, count } from "../lib/metrics.ts";

const log = logger("appservice");


const SEEN_MAX = 20_000;
const NAMES_MAX = 50_000;
const BACKFILL_EVENTS = 200;

type Relation = { rel_type?: string; event_id?: string } | undefined;

export class ChatFeedWriter {
  private chain: Promise<unknown> = Promise.resolve();
  /** Event ids already made entries: a retried transaction, or a backfill racing live events. */
  private readonly seen = new Set<string>();
  /** roomId → userId → display name as set in the room (null: none). */
  private readonly names = new Map<string, Map<string, string | null>>();

  constructor(
    private readonly bot: MatrixClient,
    /** The room's channel, from the room rules' cache (one lookup per room for both). */
    private readonly channelOf: (roomId: string) => Promise<ChatChannel | null>,
  ) {}

  /** One transaction's events, in order; `removed` are those the room's rules redacted. */
  publish(events: MatrixEvent[], removed: ReadonlySet<string>): Promise<void> {
    return this.serially(() => this.publishNow(events, removed));
  }

  /** Entries are appended one transaction (or backfill) at a time, so the stream keeps the homeserver's order. */
  private serially(task: () => Promise<void>): Promise<void> {
    const run = this.chain.then(task);
    this.chain = run.catch(() => {});
    return run;
  }

  private async publishNow(events: MatrixEvent[], removed: ReadonlySet<string>): Promise<void> {
    const byChannel = new Map<string, { ids: string[]; entries: FeedEntry[] }>();
    for (const ev of events) {
      if (!ev.event_id || this.seen.has(ev.event_id)) continue;
      if (removed.has(ev.event_id)) {
        // Never shown; a hidden display name is still tracked, so messages show it hidden.
        if (ev.type === "m.room.member") this.memberEntry(ev);
        continue;
      }
      const channel = await this.channelOf(ev.room_id);
      if (!channel) continue;
      const entry = await this.entryFor(ev, channel);
      if (!entry) continue;
      let batch = byChannel.get(channel.id);
      if (!batch) byChannel.set(channel.id, (batch = { ids: [], entries: [] }));
      batch.ids.push(ev.event_id);
      batch.entries.push(entry);
    }
    for (const [channelId, batch] of byChannel) {
      // Viewers first: the replay's copy (a database write) must not hold every reader up. When the
      // copy fails the homeserver retries the transaction: the copy is idempotent, and readers
      // show an entry that arrives twice once (lib/chat/feedView.ts).
      await appendEntries(channelId, batch.entries);
      await archiveFeedEntries(channelId, batch.entries);
      for (const id of batch.ids) this.remember(id);
    }
    const entries = [...byChannel.values()].flatMap((b) => b.entries);
    const messages = entries.filter((e) => e.t === "msg").length;
    const redactions = entries.filter((e) => e.t === "redact").length;
    if (messages) void count(COUNTER.chatMessages, {}, messages);
    if (redactions) void count(COUNTER.chatRedactions, {}, redactions);
    if (removed.size) void count(COUNTER.chatFiltered, {}, removed.size);
  }

  private remember(eventId: string): void {
    this.seen.add(eventId);
    if (this.seen.size > SEEN_MAX) this.seen.delete(this.seen.values().next().value as string);
  }

  private async entryFor(ev: MatrixEvent, channel: ChatChannel): Promise<FeedEntry | null> {
    const content = ev.content ?? {};
    switch (ev.type) {
      case "m.room.message":
      case "m.sticker": {
        const rel = content["m.relates_to"] as Relation;
        if (rel?.rel_type === "m.replace") {
          // A malformed edit (no object with a string body) is ignored, not applied.
          const replacement = feedContent(content["m.new_content"], ev.type);
          return replacement && rel.event_id ? { t: "edit", id: ev.event_id, target: rel.event_id, sender: ev.sender, content: replacement } : null;
        }
        const shown = feedContent(content, ev.type);
        if (!shown) return null;
        return { t: "msg", id: ev.event_id, sender: ev.sender, name: await this.nameOf(ev.room_id, ev.sender, channel), ts: ev.origin_server_ts ?? Date.now(), content: shown };
      }
      case "m.room.redaction": {
        const target = (ev as { redacts?: unknown }).redacts ?? content.redacts;
        if (typeof target !== "string") return null;
        return { t: "redact", target, by: ev.sender, reason: typeof content.reason === "string" ? content.reason.slice(0, 300) : null };
      }
      case "m.room.power_levels": {
        if (ev.state_key !== "") return null;
        const users: Record<string, number> = {};
        for (const [u, level] of Object.entries((content.users as Record<string, unknown>) ?? {})) if (typeof level === "number") users[u] = level;
        return { t: "power", users, usersDefault: typeof content.users_default === "number" ? content.users_default : 0 };
      }
      case "m.room.member":
        return this.memberEntry(ev);
      default:
        return null;
    }
  }

  /** Names are tracked from member events; a kick, ban or unban by someone else becomes an entry. */
  private memberEntry(ev: MatrixEvent): FeedEntry | null {
    const userId = ev.state_key;
    if (!userId) return null;
    const membership = String(ev.content?.membership ?? "");
    const name = typeof ev.content?.displayname === "string" ? ev.content.displayname : null;
    this.roomNames(ev.room_id).set(userId, membership === "join" ? name : null);
    const before = (ev.unsigned?.prev_content as { membership?: string } | undefined)?.membership;
    if (ev.sender === userId || membership === before || !["leave", "ban"].includes(membership)) return null;
    return { t: "member", userId, membership, by: ev.sender, reason: typeof ev.content?.reason === "string" ? ev.content.reason.slice(0, 300) : null };
  }

  private roomNames(roomId: string): Map<string, string | null> {
    let m = this.names.get(roomId);
    if (!m) {
      if (this.names.size > 1000) this.names.clear();
      this.names.set(roomId, (m = new Map()));
    }
    if (m.size > NAMES_MAX) m.clear();
    return m;
  }

  private async nameOf(roomId: string, userId: string, channel: ChatChannel): Promise<string> {
    const names = this.roomNames(roomId);
    let name = names.get(userId);
    if (name === undefined) {
      // A member we have not seen join since we started: ask the homeserver once.
      const member = await this.bot.getRoomStateEvent(roomId, "m.room.member", userId).catch(() => null);
      const fetched: string | null = typeof member?.displayname === "string" ? member.displayname : null;
      names.set(userId, fetched);
      name = fetched;
    }
    if (!name) return userId;
    return nameBreaksFilter(name, channel.chatWordFilter) ? HIDDEN_NAME : name;
  }

  /**
   * Fills an empty feed (a new deployment, or Redis restarted) with the room's
   * recent history, so viewers do not open an empty chat. Serialised with live
   * transactions; events that arrive live meanwhile are not added twice.
   */
  backfill(channel: ChatChannel): Promise<void> {
    return this.serially(async () => {
      const roomId = channel.matrixRoomId;
      if (!roomId || (await feedIsReady(channel.id))) return;
      const entries: FeedEntry[] = [];
      const ids: string[] = [];
      const power = await this.bot.getRoomStateEvent(roomId, "m.room.power_levels", "").catch(() => null);
      if (power) {
        const entry = await this.entryFor({ event_id: "", room_id: roomId, sender: "", type: "m.room.power_levels", state_key: "", content: power }, channel);
        if (entry) entries.push(entry);
      }
      const res = (await this.bot.doRequest("GET", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages`, { dir: "b", limit: BACKFILL_EVENTS })) as { chunk?: MatrixEvent[] };
      for (const ev of (res.chunk ?? []).reverse()) {
        if (!ev.event_id || this.seen.has(ev.event_id)) continue;
        // Redacted messages come back without a body and are skipped; what breaks today's filter too.
        if (matchWordFilter(eventTexts(ev.type, ev.content).join("\n"), channel.chatWordFilter) !== null) continue;
        if (ev.type === "m.room.member" || ev.type === "m.room.redaction") continue;
        const entry = await this.entryFor(ev, channel);
        if (!entry) continue;
        entries.push(entry);
        ids.push(ev.event_id);
      }
      await appendEntries(channel.id, entries);
      await markFeedReady(channel.id);
      for (const id of ids) this.remember(id);
      log.info("chat feed filled from the room's history", { channelId: channel.id, entries: entries.length });
    });
  }
}
