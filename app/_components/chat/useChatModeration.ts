"use client";
// Moderators' actions on a message (through the app's API, which asks the
// appservice), the open menu and the flash that reports how it went.
import { useCallback, useEffect, useRef, useState } from "react";
import type { ModAction } from "./ChatMessage.tsx";

export interface ChatModeration {
  status: { ok: boolean; text: string } | null;
  /** Stable across renders, so message rows need not re-render for it. */
  moderate: (cmd: ModAction, label: string) => Promise<void>;
  openMenu: string | null;
  setOpenMenu: (id: string | null) => void;
}

export function useChatModeration(channelId: string): ChatModeration {
  const [status, setStatus] = useState<{ ok: boolean; text: string } | null>(null);
  const [openMenu, setOpenMenu] = useState<string | null>(null);
  const channelRef = useRef(channelId);
  channelRef.current = channelId;

  const moderate = useCallback(async (cmd: ModAction, label: string) => {
    setStatus(null);
    let res: Response | null = null;
    try {
      res = await fetch(`/api/channels/${encodeURIComponent(channelRef.current)}/chat/moderate`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(cmd),
      });
    } catch {}
    const body = (await res?.json().catch(() => null)) as { error?: string } | null;
    setStatus(res?.ok ? { ok: true, text: label } : { ok: false, text: body?.error ?? "That did not work. Try again." });
  }, []);

  useEffect(() => {
    if (!status) return;
    const t = setTimeout(() => setStatus(null), status.ok ? 4000 : 8000);
    return () => clearTimeout(t);
  }, [status]);

  return { status, moderate, openMenu, setOpenMenu };
}
