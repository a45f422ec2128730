"use client";
import { useEffect, useId, useRef, useState } from "react";
import { loadPlayerScripts, type OvenPlayerInstance } from "./playerScripts.ts";

/** OvenPlayer on an HLS master playlist. Muted autoplay: browsers block sound until the viewer asks. */
export function LivePlayer({ src, compact = false }: { src: string; compact?: boolean }) {
  const id = "op-" + useId().replace(/[^a-zA-Z0-9]/g, "");
  const player = useRef<OvenPlayerInstance | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    loadPlayerScripts()
      .then(() => {
        if (cancelled || !window.OvenPlayer) return;
        player.current = window.OvenPlayer.create(id, {
          autoStart: true,
          autoFallback: true,
          mute: true,
          controls: !compact,
          showBigPlayButton: !compact,
          sources: [{ type: "hls", file: src, label: "Auto" }],
          hlsConfig: {
            // Stay close to the live edge: latency is what live is for.
            liveSyncDurationCount: 2,
            liveMaxLatencyDurationCount: 6,
            maxBufferLength: 10,
            backBufferLength: 30,
          },
        });
        player.current.on("error", (e) => setError(e?.message ?? "Playback error"));
      })
      .catch((e: Error) => setError(e.message));
    return () => {
      cancelled = true;
      player.current?.remove();
      player.current = null;
    };
  }, [id, src, compact]);

  return (
    <div className={compact ? "player player-compact" : "player"} data-testid="live-player">
      <div id={id} />
      {error && !compact && (
        <p className="small muted" role="status">
          {error}. The player retries on its own; reload the page if it does not recover.
        </p>
      )}
    </div>
  );
}
