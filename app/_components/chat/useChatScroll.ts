"use client";
// The message log's scrolling: it follows new messages while the reader is at
// the bottom, counts them instead while they are scrolled up, and keeps the
// message in view where it was when earlier messages are added above.
import { useCallback, useEffect, useLayoutEffect, useRef, useState, type RefObject } from "react";
import type { ChatItem } from "./ChatMessage.tsx";

export interface ChatScroll {
  logRef: RefObject<HTMLDivElement | null>;
  onScroll: () => void;
  /** Messages from others that arrived below the view. */
  unseen: number;
  jumpToBottom: () => void;
  /** The next change to the messages scrolls to the bottom (our own send). */
  stickToBottomNext: () => void;
}

/** `resizeKey` re-attaches the resize observer when the log element may have been replaced. */
export function useChatScroll(items: ChatItem[], myUserId: string | undefined, resizeKey: unknown): ChatScroll {
  const [unseen, setUnseen] = useState(0);
  const logRef = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const stickNext = useRef(false);
  const snap = useRef<{ first: string | null; last: string | null; firstOffset: number; top: number }>({ first: null, last: null, firstOffset: 0, top: 0 });

  const rowOffset = (id: string | null) => {
    if (!id || !logRef.current) return null;
    const el = logRef.current.querySelector(`[data-event-id="${CSS.escape(id)}"]`) as HTMLElement | null;
    return el ? el.offsetTop : null;
  };

  const onScroll = useCallback(() => {
    const el = logRef.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 30;
    snap.current.top = el.scrollTop;
    if (atBottom.current) setUnseen(0);
  }, []);

  useLayoutEffect(() => {
    const el = logRef.current;
    if (!el) return;
    const prev = snap.current;
    const first = items[0]?.id ?? null;
    const last = items.at(-1)?.id ?? null;
    if (atBottom.current || stickNext.current) {
      el.scrollTop = el.scrollHeight;
      stickNext.current = false;
      atBottom.current = true;
    } else {
      // Earlier messages were added above: keep the message the reader was looking at where it was.
      if (prev.first && first !== prev.first) {
        const offset = rowOffset(prev.first);
        if (offset !== null) el.scrollTop = prev.top + (offset - prev.firstOffset);
      }
      // New messages below do not move the view; count them instead.
      if (prev.last && last !== prev.last) {
        const idx = items.findIndex((i) => i.id === prev.last);
        if (idx >= 0) {
          const added = items.slice(idx + 1).filter((i) => i.sender !== myUserId).length;
          if (added > 0) setUnseen((n) => n + added);
        }
      }
    }
    snap.current = { first, last, firstOffset: rowOffset(first) ?? 0, top: el.scrollTop };
  }, [items, myUserId]);

  // The log changes height with the layout (phone rotation, composer growing): stay at the bottom if there.
  useEffect(() => {
    const el = logRef.current;
    if (!el || typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver(() => {
      if (atBottom.current) el.scrollTop = el.scrollHeight;
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [resizeKey]);

  const jumpToBottom = useCallback(() => {
    const el = logRef.current;
    if (el) el.scrollTop = el.scrollHeight;
    atBottom.current = true;
    setUnseen(0);
  }, []);

  const stickToBottomNext = useCallback(() => {
    stickNext.current = true;
  }, []);

  return { logRef, onScroll, unseen, jumpToBottom, stickToBottomNext };
}
