"use client";
// The chat replay beside a replay: the messages sent up to the playhead, as
// they were seen live. It follows the player's position (playing, seeking,
// paused alike: it only reads where the player is) and loads the chat a page at
// a time around it (lib/chat/replayChatBuffer.ts).
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import type { ReplayChatMessage, ReplayChatPage } from "../../lib/chat/replayChat.ts";
import { bufferFromPage, covers, shownAt, wantsMore, withNextPage, type ChatBuffer } from "../../lib/chat/replayChatBuffer.ts";
import { ChatMessage, NO_MOD_MENU, messageKind, shownName, type ChatItem } from "./chat/ChatMessage.tsx";

const RETRY_MS = 3000;

function itemOf(m: ReplayChatMessage): ChatItem {
  const name = shownName(m.name, m.sender);
  return {
    id: m.id,
    sender: m.sender,
    name,
    ts: m.ts,
    kind: messageKind(m.content.msgtype, false),
    content: { ...m.content },
    pending: false,
    removedReason: null,
    senderPower: 0,
    sig: `${m.id}|${m.edited}|${name}`,
  };
}

async function getPage(url: string): Promise<ReplayChatPage> {
  const res = await fetch(url, { cache: "no-store" });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return (await res.json()) as ReplayChatPage;
}

export function ReplayChat({ replayId, position }: { replayId: string; position: number }) {
  const [buf, setBuf] = useState<ChatBuffer | null>(null);
  const [failed, setFailed] = useState(false);
  const [retry, setRetry] = useState(0);
  // One load at a time; when it is done the effect looks again at where the playhead is by then.
  const busy = useRef(false);

  useEffect(() => {
    if (busy.current) return;
    const base = `/api/replays/${encodeURIComponent(replayId)}/chat`;
    let load: Promise<void> | null = null;
    if (!buf || !covers(buf, position)) {
      const at = Math.max(0, position);
      load = getPage(`${base}?at=${at}`).then((page) => setBuf(bufferFromPage(page, at)));
    } else if (wantsMore(buf, position)) {
      load = getPage(`${base}?after=${encodeURIComponent(buf.next!)}`).then((page) => setBuf((b) => (b ? withNextPage(b, page) : b)));
    }
    if (!load) return;
    busy.current = true;
    load.then(
      () => {
        busy.current = false;
        setFailed(false);
        // The playhead may have moved on meanwhile: look again.
        setRetry((n) => n + 1);
      },
      () => {
        busy.current = false;
        setFailed(true);
        setTimeout(() => setRetry((n) => n + 1), RETRY_MS);
      },
    );
  }, [replayId, position, buf, retry]);

  const ready = buf !== null && covers(buf, position);
  const shown = useMemo(() => (buf ? shownAt(buf, position).map(itemOf) : []), [buf, position]);
  const empty = buf !== null && buf.messages.length === 0 && buf.from === 0 && buf.to === Infinity;

  // Follow the newest message unless the viewer scrolled up to read.
  const log = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  useLayoutEffect(() => {
    const el = log.current;
    if (el && atBottom.current) el.scrollTop = el.scrollHeight;
  }, [shown]);

  return (
    <section className="chat replay-chat" aria-label="Chat replay" data-testid="replay-chat" data-state={ready ? "ready" : "loading"} data-position={position.toFixed(2)}>
      <header className="chat-head">
        <strong>Chat replay</strong>
        {failed && (
          <span className="small chat-reconnecting" role="status">
            Could not load the chat; trying again…
          </span>
        )}
      </header>
      <div className="chat-body">
        <div
          className="chat-log"
          ref={log}
          role="log"
          aria-label="Chat messages up to this point of the replay"
          data-testid="replay-chat-log"
          onScroll={(e) => {
            const el = e.currentTarget;
            atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
          }}
        >
          {!ready && (
            <p className="chat-state" role="status">
              Loading chat…
            </p>
          )}
          {ready && empty && (
            <p className="chat-state" data-testid="replay-chat-empty">
              No chat messages in this stream.
            </p>
          )}
          {ready && !empty && shown.length === 0 && <p className="chat-state">No messages yet at this point of the stream.</p>}
          {ready && shown.map((item) => <ChatMessage key={item.id} item={item} mod={NO_MOD_MENU} />)}
        </div>
      </div>
    </section>
  );
}
