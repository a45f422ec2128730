"use client";
// The slow-mode countdown after the viewer's own message.
import { useCallback, useEffect, useState } from "react";
import { SLOW_MODE_CLIENT_MARGIN_MS } from "../../../lib/chat/limits.ts";

export interface SlowMode {
  /** Whole seconds still to wait (at least 1 while waiting), or 0. */
  cooldown: number;
  /** Call when the homeserver has acknowledged a message, with the slow mode that applies to the viewer. */
  sent: (slowModeSeconds: number) => void;
}

export function useSlowMode(): SlowMode {
  const [cooldownUntil, setCooldownUntil] = useState(0);
  const [now, setNow] = useState(0);

  useEffect(() => {
    if (cooldownUntil <= Date.now()) return;
    setNow(Date.now());
    const t = setInterval(() => {
      setNow(Date.now());
      if (Date.now() >= cooldownUntil) clearInterval(t);
    }, 250);
    return () => clearInterval(t);
  }, [cooldownUntil]);

  const sent = useCallback((slowModeSeconds: number) => {
    // The appservice's window runs from when the message reached it, which is
    // after the acknowledgement or about then: see SLOW_MODE_CLIENT_MARGIN_MS.
    if (slowModeSeconds > 0) setCooldownUntil(Date.now() + slowModeSeconds * 1000 + SLOW_MODE_CLIENT_MARGIN_MS);
  }, []);

  const left = cooldownUntil - now;
  // The margin is not shown: the countdown reads as the channel's slow mode.
  const cooldown = left > 0 ? Math.max(1, Math.ceil((left - SLOW_MODE_CLIENT_MARGIN_MS) / 1000)) : 0;
  return { cooldown, sent };
}
