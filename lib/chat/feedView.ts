// A chat as a viewer sees it, built from feed entries (lib/chat/feed.ts) that
// may arrive in two directions: live ones at the end, "load earlier" pages at
// the start. Edits and redactions are kept by target, so one that arrived
// before its message (a later page loaded first) still applies. Pure and
// dependency-free: the widget and the tests both use it.
import { compareStreamIds, type FeedContent, type FeedEntry, type PowerEntry } from "./feed.ts";

export interface FeedMessage {
  sid: string;
  id: string;
  sender: string;
  name: string;
  ts: number;
  /** The content shown: the latest well-formed edit by the sender, else the original. */
  content: FeedContent;
  edited: boolean;
  redacted: { by: string; reason: string | null } | null;
  /** Bumped on every edit or redaction applied, so a renderer can tell the row changed. */
  rev: number;
}

export class FeedView {
  private messages: FeedMessage[] = [];
  private readonly byId = new Map<string, FeedMessage>();
  /** target → sender → that sender's latest edit: only the author's counts, known once the message is. */
  private readonly edits = new Map<string, Map<string, { sid: string; content: FeedContent }>>();
  private readonly redactions = new Map<string, { by: string; reason: string | null }>();
  private readonly memberships = new Map<string, { membership: string; by: string; reason: string | null }>();
  power: PowerEntry | null = null;
  /** The oldest and newest stream ids applied (null before any). */
  oldest: string | null = null;
  newest: string | null = null;
  /** Bumped on every change, so a renderer can tell whether to re-read. */
  version = 0;

  /** Applies an entry; entries older than `oldest` are pages loaded earlier. */
  apply(sid: string, e: FeedEntry): void {
    if (this.newest === null || compareStreamIds(sid, this.newest) > 0) this.newest = sid;
    if (this.oldest === null || compareStreamIds(sid, this.oldest) < 0) this.oldest = sid;
    this.version++;
    switch (e.t) {
      case "msg": {
        if (this.byId.has(e.id)) return;
        const m: FeedMessage = { sid, id: e.id, sender: e.sender, name: e.name, ts: e.ts, content: e.content, edited: false, redacted: this.redactions.get(e.id) ?? null, rev: 0 };
        this.applyEdit(m);
        this.byId.set(e.id, m);
        this.insert(m);
        return;
      }
      case "edit": {
        let bySender = this.edits.get(e.target);
        if (!bySender) this.edits.set(e.target, (bySender = new Map()));
        const prev = bySender.get(e.sender);
        // Of several edits the latest wins, whatever order they were loaded in.
        if (!prev || compareStreamIds(sid, prev.sid) > 0) bySender.set(e.sender, { sid, content: e.content });
        const m = this.byId.get(e.target);
        if (m) this.applyEdit(m);
        return;
      }
      case "redact": {
        const r = { by: e.by, reason: e.reason };
        this.redactions.set(e.target, r);
        const m = this.byId.get(e.target);
        if (m) {
          m.redacted = r;
          m.rev++;
        }
        return;
      }
      case "power":
        this.power = e;
        return;
      case "member":
        this.memberships.set(e.userId, { membership: e.membership, by: e.by, reason: e.reason });
        return;
    }
  }

  private applyEdit(m: FeedMessage): void {
    // Only the author may edit a message; another sender's "edit" is ignored.
    const edit = this.edits.get(m.id)?.get(m.sender);
    if (!edit) return;
    m.content = edit.content;
    m.edited = true;
    m.rev++;
  }

  private insert(m: FeedMessage): void {
    const list = this.messages;
    if (!list.length || compareStreamIds(m.sid, list[list.length - 1].sid) > 0) {
      list.push(m);
      return;
    }
    let i = list.length;
    while (i > 0 && compareStreamIds(list[i - 1].sid, m.sid) > 0) i--;
    list.splice(i, 0, m);
  }

  /** Messages oldest first. */
  list(): readonly FeedMessage[] {
    return this.messages;
  }

  has(eventId: string): boolean {
    return this.byId.has(eventId);
  }

  /** A redaction seen for `eventId`, even of a message this view never had (one the room's rules removed). */
  redactionOf(eventId: string): { by: string; reason: string | null } | null {
    return this.redactions.get(eventId) ?? null;
  }

  powerOf(userId: string): number {
    const p = this.power;
    if (!p) return 0;
    const level = p.users[userId];
    return typeof level === "number" ? level : p.usersDefault;
  }

  /** The last membership change someone else made for `userId` (kick, ban, unban), if any. */
  membershipOf(userId: string): { membership: string; by: string; reason: string | null } | null {
    return this.memberships.get(userId) ?? null;
  }
}
