"use client";
// A channel's chat, which is a Matrix room. Viewers read it through our own
// feed (Server-Sent Events from the web tier; the homeserver does no work per
// reader) and write through the homeserver with matrix-js-sdk, as a Matrix
// guest (made on their first message, under the name they chose) or, logged
// in, as their virtual Matrix user.
//
// The parts: useChatConnection (feed, rows, sending via chatSender.ts),
// useChatScroll (the log's position), useSlowMode (the countdown),
// useChatModeration, and the ChatComposer / ChatNameForm / ChatAlias components.
import { useState } from "react";
import type { PublicChat } from "../../../lib/chat/publicChat.ts";
import { ChatAlias } from "./ChatAlias.tsx";
import { ChatComposer } from "./ChatComposer.tsx";
import { ChatMessage } from "./ChatMessage.tsx";
import { ChatNameForm } from "./ChatNameForm.tsx";
import { useChatConnection } from "./useChatConnection.ts";
import { useChatModeration } from "./useChatModeration.ts";
import { useChatScroll } from "./useChatScroll.ts";
import { useSlowMode } from "./useSlowMode.ts";

export interface ChatWidgetProps {
  slug: string;
  initial: PublicChat;
  /** The chat-only embed: full height, links open in a new tab. */
  embed?: boolean;
}

export function ChatWidget({ slug, initial, embed = false }: ChatWidgetProps) {
  const chat = useChatConnection(slug, initial);
  const { info, phase, items, me } = chat;
  const scroll = useChatScroll(items, me?.userId, phase.kind);
  const slow = useSlowMode();
  const mod = useChatModeration(info.channelId);
  // Shared by the composer and the name form: one action at a time, one problem shown.
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Here rather than in the composer, so a draft survives changing one's name.
  const [draft, setDraft] = useState("");
  const [editingName, setEditingName] = useState(false);

  async function loadEarlier() {
    const problem = await chat.loadEarlier();
    if (problem) setError(problem);
  }

  const viewer = info.viewer;
  const canModerate = Boolean(viewer?.canModerate);
  const linkTarget = embed ? "_blank" : undefined;
  const needsName = me?.guest && (!me.displayName || editingName);
  const ready = phase.kind === "ready";

  return (
    <section className={`chat${embed ? " chat-embedded" : ""}`} aria-label="Chat" data-testid="chat" data-state={phase.kind}>
      <header className="chat-head">
        <strong>Chat</strong>
        {embed && (
          <a href={`/c/${encodeURIComponent(slug)}`} target="_blank" rel="noopener" className="small">
            {info.title} ↗
          </a>
        )}
        {chat.reconnecting && (
          <span className="small chat-reconnecting" role="status" data-testid="chat-reconnecting">
            Reconnecting…
          </span>
        )}
      </header>

      <div className="chat-body">
        <div className="chat-log" ref={scroll.logRef} onScroll={scroll.onScroll} data-testid="chat-log" role="log" aria-label="Chat messages">
          {phase.kind === "connecting" && (
            <p className="chat-state" role="status" data-testid="chat-connecting">
              Connecting to chat…
            </p>
          )}
          {phase.kind === "unavailable" && (
            <div className="chat-state" role="alert" data-testid="chat-unavailable">
              <p>{phase.message}</p>
              {phase.retryable && (
                <button type="button" className="btn btn-small" onClick={chat.retry} data-testid="chat-retry">
                  Try again
                </button>
              )}
            </div>
          )}
          {ready && (
            <>
              {chat.canLoadEarlier ? (
                <div className="chat-earlier">
                  <button type="button" className="btn btn-small" onClick={loadEarlier} disabled={chat.loadingEarlier} data-testid="chat-load-earlier">
                    {chat.loadingEarlier ? "Loading…" : "Load earlier messages"}
                  </button>
                </div>
              ) : (
                items.length > 0 && <p className="chat-start small muted">This is the start of the chat.</p>
              )}
              {items.length === 0 && !chat.canLoadEarlier && (
                <p className="chat-state" data-testid="chat-empty">
                  No messages yet — say hi!
                </p>
              )}
              {items.map((item) => (
                <ChatMessage
                  key={item.id}
                  item={item}
                  mod={{
                    allowed: canModerate && item.sender !== me?.userId && item.senderPower < chat.myPower,
                    isOwner: Boolean(viewer?.isOwner),
                    open: mod.openMenu === item.id,
                    onToggle: mod.setOpenMenu,
                    onAction: mod.moderate,
                  }}
                />
              ))}
            </>
          )}
        </div>
        {scroll.unseen > 0 && (
          <button type="button" className="chat-new" onClick={scroll.jumpToBottom} data-testid="chat-new-messages">
            {scroll.unseen === 1 ? "1 new message" : `${scroll.unseen} new messages`} ↓
          </button>
        )}
      </div>

      <div className="chat-foot">
        {mod.status && (
          <div className={`chat-flash ${mod.status.ok ? "ok" : "bad"}`} role="status" data-testid="chat-mod-status">
            {mod.status.text}
          </div>
        )}
        {info.slowModeSeconds > 0 && (
          <div className="small muted" data-testid="chat-slow-mode">
            Slow mode: one message every {info.slowModeSeconds} s{canModerate ? " (not for you: you moderate this chat)" : ""}
          </div>
        )}
        {ready && chat.membership === "ban" && (
          <div className="chat-flash bad" role="status" data-testid="chat-banned">
            You are timed out or banned from this chat.
          </div>
        )}
        {chat.joinQueue && (
          <div className="chat-flash" role="status" data-testid="chat-joining">
            Lots of people are joining the chat right now. Your message waits in line (trying again in {chat.joinQueue.retryInSeconds} s)…
          </div>
        )}
        {error && (
          <div className="chat-error" role="alert" data-testid="chat-error">
            {error}
          </div>
        )}
        {needsName ? (
          <ChatNameForm chat={chat} slug={slug} ready={ready} busy={busy} onBusy={setBusy} onError={setError} onSaved={() => setEditingName(false)} linkTarget={linkTarget} />
        ) : (
          <ChatComposer
            chat={chat}
            ready={ready}
            draft={draft}
            onDraft={setDraft}
            busy={busy}
            onBusy={setBusy}
            onError={setError}
            cooldown={slow.cooldown}
            onSent={slow.sent}
            onSending={scroll.stickToBottomNext}
            onChangeName={() => setEditingName(true)}
          />
        )}
        <ChatAlias alias={info.alias} />
      </div>
    </section>
  );
}
