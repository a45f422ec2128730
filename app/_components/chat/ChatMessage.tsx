"use client";
import { memo, useEffect, useRef, useState, type ReactNode } from "react";
import { stripInvisible } from "../../../lib/chat/invisible.ts";
import { CHAT_LIMITS } from "../../../lib/chat/limits.ts";
import { POWER } from "../../../lib/chat/power.ts";
import { messageText, plainText } from "./richText.tsx";

export interface ChatItem {
  /** Event id, or the SDK's local id while sending. */
  id: string;
  sender: string;
  name: string;
  ts: number;
  kind: "text" | "emote" | "notice" | "deleted" | "attachment";
  content: Record<string, unknown>;
  pending: boolean;
  /** Why the viewer's own message was removed (slow mode, word filter, a moderator). */
  removedReason: string | null;
  senderPower: number;
  /** Changes whenever anything shown changes; rows re-render only then. */
  sig: string;
}

export type ModAction =
  | { action: "redact"; eventId: string }
  | { action: "timeout"; userId: string; seconds: number }
  | { action: "kick"; userId: string }
  | { action: "ban"; userId: string }
  | { action: "moderator"; userId: string; grant: boolean };

export interface ModMenu {
  /** Moderation is possible on this message at all (viewer may moderate, not own, sender below viewer). */
  allowed: boolean;
  isOwner: boolean;
  open: boolean;
  onToggle: (id: string | null) => void;
  onAction: (a: ModAction, label: string) => void;
}

const ATTACHMENTS = new Set(["m.image", "m.video", "m.audio", "m.file", "m.location", "m.sticker"]);

/** How a feed message shows (the live chat and the chat replay alike). */
export function messageKind(msgtype: string, redacted: boolean): ChatItem["kind"] {
  if (redacted) return "deleted";
  return msgtype === "m.notice" ? "notice" : msgtype === "m.emote" ? "emote" : ATTACHMENTS.has(msgtype) ? "attachment" : "text";
}

/** The name a message shows: bidi controls and zero-width characters could make a name read as another, or reorder the line. */
export function shownName(name: string, sender: string): string {
  return stripInvisible(name, { keepEmojiJoiners: true }).trim() || sender;
}

/** A row no one may moderate (the chat replay). */
export const NO_MOD_MENU: ModMenu = { allowed: false, isOwner: false, open: false, onToggle: () => {}, onAction: () => {} };

const pad = (n: number) => String(n).padStart(2, "0");

export function shortTime(ts: number): string {
  const d = new Date(ts);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function fullTime(ts: number): string {
  return new Date(ts).toLocaleString(undefined, { dateStyle: "full", timeStyle: "medium" });
}

/** A stable colour per sender so a conversation is easy to follow. */
export function nameColour(userId: string): string {
  let h = 0;
  for (let i = 0; i < userId.length; i++) h = (h * 31 + userId.charCodeAt(i)) >>> 0;
  return `hsl(${h % 360} 75% 72%)`;
}

function attachmentLabel(content: Record<string, unknown>): string {
  const kind = { "m.image": "image", "m.video": "video", "m.audio": "audio", "m.file": "file", "m.location": "location" }[String(content.msgtype)] ?? "attachment";
  const name = typeof content.body === "string" && content.body ? `: ${plainText(content.body, CHAT_LIMITS.displayClampChars)}` : "";
  return `[${kind}${name}]`;
}

/**
 * A message's text, cut to CHAT_LIMITS.displayClampChars characters until the
 * reader asks for the rest: a message from another Matrix client can be far
 * longer than our composer allows, and should not fill the log.
 */
function useClampedText(content: Record<string, unknown>): { text: ReactNode[]; more: ReactNode } {
  const [expanded, setExpanded] = useState(false);
  const limit = CHAT_LIMITS.displayClampChars;
  const { nodes, length } = messageText(content, expanded ? Infinity : limit);
  if (length <= limit) return { text: nodes, more: null };
  return {
    text: nodes,
    more: (
      <>
        {!expanded && <span aria-hidden="true">…</span>}{" "}
        <button type="button" className="btn-link small chat-more" aria-expanded={expanded} onClick={() => setExpanded((e) => !e)} data-testid="chat-show-more">
          {expanded ? "Show less" : "Show more"}
        </button>
      </>
    ),
  };
}

/** The message's `.chat-text`, and after it the "Show more" button if it is long. */
function Body({ item }: { item: ChatItem }) {
  switch (item.kind) {
    case "deleted":
      return (
        <span className="chat-text">
          <span className="chat-deleted">{item.removedReason ? `Your message was removed (${plainText(item.removedReason, CHAT_LIMITS.displayClampChars)}).` : "Message deleted"}</span>
        </span>
      );
    case "attachment":
      // Files are not fetched or previewed here; open the room in a Matrix client to see them.
      return (
        <span className="chat-text">
          <span className="chat-deleted">{attachmentLabel(item.content)}</span>
        </span>
      );
    default:
      return <TextBody item={item} />;
  }
}

function TextBody({ item }: { item: ChatItem }) {
  const { text, more } = useClampedText(item.content);
  return (
    <>
      <span className="chat-text">{item.kind === "emote" ? <em>{text}</em> : text}</span>
      {more}
    </>
  );
}

function Menu({ item, mod }: { item: ChatItem; mod: ModMenu }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!mod.open) return;
    const close = (e: Event) => {
      if (e instanceof KeyboardEvent ? e.key === "Escape" : !ref.current?.contains(e.target as Node)) mod.onToggle(null);
    };
    document.addEventListener("pointerdown", close);
    document.addEventListener("keydown", close);
    return () => {
      document.removeEventListener("pointerdown", close);
      document.removeEventListener("keydown", close);
    };
  }, [mod]);
  const act = (a: ModAction, label: string) => {
    mod.onToggle(null);
    mod.onAction(a, label);
  };
  const who = item.name;
  const isMod = item.senderPower >= POWER.moderator;
  return (
    <div className="chat-mod" ref={ref}>
      <button
        type="button"
        className="chat-mod-button"
        aria-label={`Moderate message from ${who}`}
        aria-haspopup="menu"
        aria-expanded={mod.open}
        data-testid="chat-mod-menu"
        onClick={() => mod.onToggle(mod.open ? null : item.id)}
      >
        ⋯
      </button>
      {mod.open && (
        <div className="chat-mod-list" role="menu" aria-label={`Moderate ${who}`} data-testid="chat-mod-actions">
          <button type="button" role="menuitem" data-testid="chat-mod-delete" onClick={() => act({ action: "redact", eventId: item.id }, `Deleted the message from ${who}.`)}>
            Delete message
          </button>
          <button type="button" role="menuitem" data-testid="chat-mod-timeout-300" onClick={() => act({ action: "timeout", userId: item.sender, seconds: 300 }, `Timed out ${who} for 5 min.`)}>
            Timeout 5 min
          </button>
          <button type="button" role="menuitem" data-testid="chat-mod-timeout-3600" onClick={() => act({ action: "timeout", userId: item.sender, seconds: 3600 }, `Timed out ${who} for 1 h.`)}>
            Timeout 1 h
          </button>
          <button type="button" role="menuitem" data-testid="chat-mod-kick" onClick={() => act({ action: "kick", userId: item.sender }, `Kicked ${who}.`)}>
            Kick
          </button>
          <button type="button" role="menuitem" className="danger" data-testid="chat-mod-ban" onClick={() => act({ action: "ban", userId: item.sender }, `Banned ${who}.`)}>
            Ban
          </button>
          {mod.isOwner && (
            <button
              type="button"
              role="menuitem"
              data-testid="chat-mod-moderator"
              onClick={() => act({ action: "moderator", userId: item.sender, grant: !isMod }, isMod ? `${who} is no longer a moderator.` : `${who} is now a moderator.`)}
            >
              {isMod ? "Remove moderator" : "Make moderator"}
            </button>
          )}
        </div>
      )}
    </div>
  );
}

function Notice({ item, time }: { item: ChatItem; time: ReactNode }) {
  const { text, more } = useClampedText(item.content);
  return (
    <div className="chat-notice" role="note" data-testid="chat-notice" data-sender={item.sender} data-event-id={item.id}>
      {time}
      <span className="chat-text">{text}</span>
      {more}
    </div>
  );
}

function Row({ item, mod }: { item: ChatItem; mod: ModMenu }) {
  const time = (
    <time className="chat-time" dateTime={new Date(item.ts).toISOString()} title={fullTime(item.ts)}>
      {shortTime(item.ts)}
    </time>
  );
  if (item.kind === "notice") return <Notice item={item} time={time} />;
  return (
    <div
      className={`chat-msg${item.pending ? " chat-pending" : ""}${mod.open ? " chat-menu-open" : ""}`}
      data-testid="chat-message"
      data-sender={item.sender}
      data-event-id={item.id}
      aria-busy={item.pending || undefined}
    >
      {time}
      <span className="chat-name" style={{ color: nameColour(item.sender) }} title={item.sender}>
        {item.kind === "emote" ? `* ${item.name}` : item.name}
        {item.senderPower >= POWER.moderator && <span className="chat-role" title={item.senderPower >= POWER.owner ? "Channel owner" : "Moderator"}>{item.senderPower >= POWER.owner ? "★" : "◆"}</span>}
      </span>{" "}
      <Body item={item} />
      {mod.allowed && !item.pending && item.kind !== "deleted" && <Menu item={item} mod={mod} />}
    </div>
  );
}

export const ChatMessage = memo(Row, (a, b) => a.item.sig === b.item.sig && a.mod.allowed === b.mod.allowed && a.mod.open === b.mod.open && a.mod.isOwner === b.mod.isOwner && a.mod.onAction === b.mod.onAction);
