"use client";
import { useEffect, useId, useRef, useState } from "react";
import { formatDuration } from "../../lib/formatDuration.ts";
import { loadPlayerScripts, type OvenPlayerInstance } from "./playerScripts.ts";

interface Marker {
  at: number;
  label: string;
}

/** A replay in OvenPlayer, with its reconnect gaps marked on a timeline under the picture. */
export function ReplayPlayer({ src, poster, duration, markers, thumbs }: { src: string; poster?: string; duration: number; markers: Marker[]; thumbs: { at: number; url: string }[] }) {
  const id = "rp-" + useId().replace(/[^a-zA-Z0-9]/g, "");
  const player = useRef<(OvenPlayerInstance & { seek(t: number): void; getPosition(): number }) | null>(null);
  const [position, setPosition] = useState(0);

  useEffect(() => {
    let cancelled = false;
    loadPlayerScripts().then(() => {
      if (cancelled || !window.OvenPlayer) return;
      player.current = window.OvenPlayer.create(id, {
        autoStart: false,
        mute: false,
        ...(poster ? { image: poster } : {}),
        sources: [{ type: "hls", file: src, label: "Auto" }],
      }) as any;
      player.current!.on("time", (e) => setPosition(e?.position ?? 0));
    });
    return () => {
      cancelled = true;
      player.current?.remove();
      player.current = null;
    };
  }, [id, src, poster]);

  const seek = (t: number) => {
    player.current?.seek(t);
    setPosition(t);
  };
  const pct = (t: number) => `${Math.min(100, (t / Math.max(duration, 1)) * 100)}%`;
  return (
    <div className="stack">
      <div className="player" data-testid="replay-player">
        <div id={id} />
      </div>
      <div className="timeline" data-testid="replay-timeline" aria-label="Replay timeline">
        <div className="timeline-played" style={{ width: pct(position) }} />
        {markers.map((m) => (
          <button key={m.at} type="button" className="timeline-marker" style={{ left: pct(m.at) }} title={`${formatDuration(m.at)} — ${m.label}`}
            aria-label={`${formatDuration(m.at)}: ${m.label}`} data-testid="replay-marker" onClick={() => seek(m.at)} />
        ))}
      </div>
      {markers.length > 0 && (
        <ul className="small muted marker-list">
          {markers.map((m) => (
            <li key={m.at}>
              <button type="button" className="btn-link" onClick={() => seek(m.at)}>{formatDuration(m.at)}</button> — {m.label}
            </li>
          ))}
        </ul>
      )}
      {thumbs.length > 0 && (
        <div className="thumb-strip" aria-label="Jump to">
          {thumbs.map((t) => (
            <button key={t.at} type="button" onClick={() => seek(t.at)} title={`Jump to ${formatDuration(t.at)}`}>
              {/* eslint-disable-next-line @next/next/no-img-element */}
              <img src={t.url} alt={`Preview at ${formatDuration(t.at)}`} loading="lazy" width={160} height={90} />
              <span>{formatDuration(t.at)}</span>
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
