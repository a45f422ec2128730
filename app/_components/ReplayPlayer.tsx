"use client";
import { useEffect, useId, useRef, useState } from "react";
import { formatDuration } from "../../lib/formatDuration.ts";
import { formatReplayTime } from "../../lib/replayLink.ts";
import { loadPlayerScripts, type OvenPlayerInstance } from "./playerScripts.ts";
import { ReplayChat } from "./ReplayChat.tsx";

interface Marker {
  at: number;
  label: string;
}

export interface ReplayPlayerProps {
  replayId: string;
  src: string;
  poster?: string;
  duration: number;
  markers: Marker[];
  thumbs: { at: number; url: string }[];
  /** Seconds to start at (`?t=`). */
  start?: number;
  /** The chat replay beside the player. */
  chat?: boolean;
  /** The replay page's path, for "Copy link at current time". */
  pagePath: string;
  /** The player embed: no marker list or thumbnails. */
  embed?: boolean;
  autoplay?: boolean;
  muted?: boolean;
}

const MEDIA_EVENTS = ["timeupdate", "seeking", "seeked"] as const;

/**
 * A replay in OvenPlayer, with its reconnect gaps marked on a timeline under the
 * picture and, beside it, the chat as it was at the playhead.
 */
export function ReplayPlayer({ replayId, src, poster, duration, markers, thumbs, start = 0, chat = false, pagePath, embed = false, autoplay = false, muted = false }: ReplayPlayerProps) {
  const id = "rp-" + useId().replace(/[^a-zA-Z0-9]/g, "");
  const player = useRef<(OvenPlayerInstance & { seek(t: number): void; getPosition(): number }) | null>(null);
  const stage = useRef<HTMLDivElement>(null);
  const [position, setPosition] = useState(start);
  const [copied, setCopied] = useState<string | null>(null);

  useEffect(() => {
    let cancelled = false;
    loadPlayerScripts().then(() => {
      if (cancelled || !window.OvenPlayer) return;
      player.current = window.OvenPlayer.create(id, {
        autoStart: autoplay,
        mute: muted,
        ...(poster ? { image: poster } : {}),
        sources: [{ type: "hls", file: src, label: "Auto" }],
        // hls.js loads and plays from here (a `?t=` link).
        ...(start > 0 ? { hlsConfig: { startPosition: start } } : {}),
      }) as any;
    });
    return () => {
      cancelled = true;
      player.current?.remove();
      player.current = null;
    };
  }, [id, src, poster, start, autoplay, muted]);

  // The position straight from the video element (media events do not bubble; a capturing listener
  // on the wrapper hears them): it moves on while playing, jumps on every seek, holds while paused.
  useEffect(() => {
    const el = stage.current;
    if (!el) return;
    // Before it has gone to the `?t=` start, the element's 0 is not where the replay is.
    let arrived = start === 0;
    const onMedia = (e: Event) => {
      const video = e.target;
      if (!(video instanceof HTMLVideoElement)) return;
      if (!arrived && e.type !== "seeking" && video.currentTime < start - 1) return;
      arrived = true;
      setPosition(video.currentTime);
    };
    for (const type of MEDIA_EVENTS) el.addEventListener(type, onMedia, true);
    return () => {
      for (const type of MEDIA_EVENTS) el.removeEventListener(type, onMedia, true);
    };
  }, [start]);

  const seek = (t: number) => {
    player.current?.seek(t);
    setPosition(t);
  };

  async function copyLink() {
    const url = new URL(pagePath, window.location.href);
    url.searchParams.set("t", formatReplayTime(position));
    const link = url.toString();
    try {
      await navigator.clipboard.writeText(link);
      setCopied(link);
    } catch {
      // No clipboard (an insecure origin, a refused permission): show it to copy by hand.
      setCopied(link);
    }
  }

  const pct = (t: number) => `${Math.min(100, (t / Math.max(duration, 1)) * 100)}%`;
  const main = (
    <div className="stack replay-stage" ref={stage}>
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
      {!embed && (
        <div className="row small">
          <button type="button" className="btn btn-small" onClick={copyLink} data-testid="replay-copy-link">
            Copy link at {formatDuration(Math.floor(position))}
          </button>
          {copied && (
            <span className="muted" role="status" data-testid="replay-copied">
              Copied: <code>{copied}</code>
            </span>
          )}
        </div>
      )}
      {!embed && markers.length > 0 && (
        <ul className="small muted marker-list">
          {markers.map((m) => (
            <li key={m.at}>
              <button type="button" className="btn-link" onClick={() => seek(m.at)}>{formatDuration(m.at)}</button> — {m.label}
            </li>
          ))}
        </ul>
      )}
      {!embed && thumbs.length > 0 && (
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
  if (!chat) return main;
  return (
    <div className="replay-layout">
      {main}
      <aside className="replay-chat-column" aria-label="Chat replay">
        <ReplayChat replayId={replayId} position={position} />
      </aside>
    </div>
  );
}
