"use client";
// A guest chooses the display name others see before their first message.
import { useState, type FormEvent } from "react";
import { LIMITS } from "../../../lib/limits.ts";
import { stripInvisible } from "../../../lib/chat/invisible.ts";
import type { ChatConnection } from "./useChatConnection.ts";

export interface ChatNameFormProps {
  chat: Pick<ChatConnection, "me" | "connected" | "setDisplayName">;
  slug: string;
  ready: boolean;
  busy: boolean;
  onBusy: (busy: boolean) => void;
  onError: (problem: string | null) => void;
  onSaved: () => void;
  /** Where "log in" opens (a new tab in the embed). */
  linkTarget: string | undefined;
}

export function ChatNameForm({ chat, slug, ready, busy, onBusy, onError, onSaved, linkTarget }: ChatNameFormProps) {
  // Changing a name starts from the current one.
  const [nameDraft, setNameDraft] = useState(chat.me?.displayName ?? "");

  async function save(e: FormEvent) {
    e.preventDefault();
    // Invisible characters would only make the name look like someone else's.
    const name = stripInvisible(nameDraft, { keepEmojiJoiners: true }).trim().replace(/\s+/g, " ");
    if (!chat.connected() || !name || busy) return;
    onBusy(true);
    onError(null);
    const problem = await chat.setDisplayName(name);
    if (problem) onError(problem);
    else onSaved();
    onBusy(false);
  }

  return (
    <form className="chat-compose" onSubmit={save} data-testid="chat-name-form">
      <label htmlFor="chat-name" className="small chat-name-label">
        Choose a display name
      </label>
      <div className="row">
        <input
          id="chat-name"
          type="text"
          className="grow"
          value={nameDraft}
          maxLength={LIMITS.displayNameMax}
          autoComplete="nickname"
          placeholder="Your name"
          onChange={(e) => setNameDraft(e.target.value)}
          disabled={!ready}
          data-testid="chat-name-input"
        />
        <button type="submit" className="btn btn-primary btn-small" disabled={!ready || busy || !nameDraft.trim()} data-testid="chat-name-save">
          {busy ? "Saving…" : "Save"}
        </button>
      </div>
      <span className="small muted">
        Or{" "}
        <a href={`/login?next=${encodeURIComponent(`/c/${slug}`)}`} target={linkTarget}>
          log in
        </a>{" "}
        to chat with your account.
      </span>
    </form>
  );
}
