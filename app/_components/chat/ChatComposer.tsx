"use client";
// The message box, its Send button (a countdown under slow mode) and who the
// viewer chats as.
import type { FormEvent } from "react";
import { CHAT_LIMITS } from "../../../lib/chat/limits.ts";
import { stripInvisible } from "../../../lib/chat/invisible.ts";
import type { ChatConnection } from "./useChatConnection.ts";

export interface ChatComposerProps {
  chat: Pick<ChatConnection, "me" | "connected" | "sendText">;
  ready: boolean;
  /** Kept by the widget so that it survives switching to the name form and back. */
  draft: string;
  onDraft: (text: string) => void;
  busy: boolean;
  onBusy: (busy: boolean) => void;
  onError: (problem: string | null) => void;
  cooldown: number;
  onSent: (slowModeSeconds: number) => void;
  /** Our own message is about to appear: scroll to it. */
  onSending: () => void;
  /** A guest asks to change their name. */
  onChangeName: () => void;
}

export function ChatComposer({ chat, ready, draft, onDraft, busy, onBusy, onError, cooldown, onSent, onSending, onChangeName }: ChatComposerProps) {
  const { me } = chat;

  async function send(e: FormEvent) {
    e.preventDefault();
    const text = draft.trim();
    if (!chat.connected() || !text || busy || cooldown > 0) return;
    onBusy(true);
    onError(null);
    const res = await chat.sendText(text, onSending);
    if (res.ok) {
      onDraft("");
      onSent(res.slowModeSeconds);
    } else onError(res.problem);
    onBusy(false);
  }

  return (
    <form className="chat-compose" onSubmit={send}>
      <div className="row">
        <input
          type="text"
          className="grow"
          aria-label="Message"
          placeholder={ready ? "Say something…" : "Connecting…"}
          value={draft}
          maxLength={CHAT_LIMITS.messageMax}
          autoComplete="off"
          onChange={(e) => onDraft(e.target.value)}
          disabled={!ready}
          data-testid="chat-input"
        />
        <button type="submit" className="btn btn-primary btn-small chat-send" disabled={!ready || busy || !draft.trim() || cooldown > 0} data-testid="chat-send">
          {cooldown > 0 ? `Wait ${cooldown} s` : "Send"}
        </button>
      </div>
      {me && (
        <span className="small muted" data-testid="chat-identity">
          Chatting as <strong>{(me.displayName && stripInvisible(me.displayName, { keepEmojiJoiners: true })) || me.userId}</strong>
          {me.guest && (
            <>
              {" · "}
              <button type="button" className="btn-link small" onClick={onChangeName}>
                change
              </button>
            </>
          )}
        </span>
      )}
    </form>
  );
}
