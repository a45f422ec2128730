"use client";
import { useEffect, useRef, useState } from "react";
import { LivePlayer, type WebrtcSource } from "./LivePlayer.tsx";

interface Live {
  status: "offline" | "starting" | "live" | "reconnecting";
  hlsUrl?: string;
  viewers?: number;
  startedAt?: string;
  finishing?: boolean;
  problem?: string;
  webrtc?: WebrtcSource;
}

function viewerId(): string {
  const k = "lh-viewer";
  let v = sessionStorage.getItem(k);
  if (!v) {
    v = Math.random().toString(36).slice(2) + Math.random().toString(36).slice(2);
    sessionStorage.setItem(k, v.slice(0, 24));
  }
  return sessionStorage.getItem(k)!;
}

let pageViewer: string | undefined;
const viewerIdOnce = () => (pageViewer ??= typeof window === "undefined" ? undefined : viewerId());

/** How the player embed (/embed/<channel>) plays: its own autoplay and sound choices, the status over the picture. */
export interface EmbedPlayback {
  autoStart: boolean;
  muted: boolean;
}

/** The channel page's stage (and the player embed's): switches between offline slate and player on its own. */
export function ChannelLive({ slug, title, initial, embed }: { slug: string; title: string; initial: Live; embed?: EmbedPlayback }) {
  const [live, setLive] = useState<Live>(initial);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  useEffect(() => {
    let stopped = false;
    const poll = async () => {
      try {
        const res = await fetch(`/api/live/${encodeURIComponent(slug)}?viewer=${viewerId()}`, { cache: "no-store" });
        if (res.ok) {
          const next = (await res.json()) as Live;
          setLive((prev) =>
            prev.status === next.status && prev.hlsUrl === next.hlsUrl && prev.viewers === next.viewers && prev.problem === next.problem && prev.finishing === next.finishing && prev.webrtc?.path === next.webrtc?.path ? prev : next,
          );
        }
      } catch {}
      if (!stopped) timer.current = setTimeout(poll, 3000);
    };
    timer.current = setTimeout(poll, 1000);
    return () => {
      stopped = true;
      clearTimeout(timer.current);
    };
  }, [slug]);

  const playing = (live.status === "live" || live.status === "reconnecting") && live.hlsUrl;
  const badge = (
    <span className={`badge ${playing ? "badge-live" : "badge-offline"}`} data-testid="live-status">
      {live.status === "live" ? "Live" : live.status === "reconnecting" ? "Reconnecting" : live.status === "starting" ? "Starting" : "Offline"}
    </span>
  );
  return (
    <div className={embed ? "embed-live" : "stack"}>
      {embed ? (
        <div className="embed-badge">{badge}</div>
      ) : (
        <div className="row" style={{ justifyContent: "space-between" }}>
          {badge}
          {playing && <span className="muted small" data-testid="viewer-count">{live.viewers ?? 0} watching</span>}
        </div>
      )}
      {playing ? (
        <div className="player-wrap">
          {live.status === "reconnecting" && (
            <div className="reconnecting-overlay" role="status" data-testid="reconnecting">
              The streamer's connection dropped. Waiting for them to come back…
            </div>
          )}
          <LivePlayer key={live.hlsUrl} src={live.hlsUrl!} webrtc={live.webrtc} viewerId={viewerIdOnce()} {...(embed ? { autoStart: embed.autoStart, muted: embed.muted, bare: true } : {})} />
        </div>
      ) : (
        <div className="player-offline" data-testid="offline-slate">
          <div>
            <strong>{live.status === "starting" ? `${title} is starting…` : `${title} is offline`}</strong>
            {live.status === "starting" ? "The stream appears here in a few seconds." : "This page switches to the stream when the channel goes live."}
            {live.status === "offline" && live.problem && (
              <span className="small" data-testid="stream-problem">
                The last stream could not be shown: {live.problem}
              </span>
            )}
          </div>
        </div>
      )}
    </div>
  );
}
