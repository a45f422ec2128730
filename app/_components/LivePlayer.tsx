"use client";
import { useEffect, useId, useRef, useState } from "react";
import { loadPlayerScripts, type OvenPlayerInstance } from "./playerScripts.ts";

export interface WebrtcSource {
  /** Signaling path on this site, /ws/<channel>. */
  path: string;
  iceServers?: { urls: string | string[]; username?: string; credential?: string }[];
}

type Latency = "low" | "standard";
const LATENCY_KEY = "lh-latency";

function preferredLatency(): Latency {
  try {
    return localStorage.getItem(LATENCY_KEY) === "standard" ? "standard" : "low";
  } catch {
    return "low";
  }
}

function signalingUrl(path: string, viewerId?: string): string {
  const u = new URL(path, window.location.href);
  u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
  if (viewerId) u.searchParams.set("viewer", viewerId);
  return u.toString();
}

/**
 * OvenPlayer: WebRTC first when the channel offers it (under a second behind live), HLS
 * otherwise and as the fallback — autoFallback moves on when the edge refuses or ICE
 * does not connect (a viewer whose UDP is blocked plays HLS a few seconds later).
 * Muted autoplay by default: browsers block sound until the viewer asks. The
 * player embed chooses (`?autoplay`, `?muted`) and shows no latency bar (`bare`).
 */
export function LivePlayer({ src, webrtc, viewerId, compact = false, autoStart = true, muted = true, bare = false }: {
  src: string;
  webrtc?: WebrtcSource;
  viewerId?: string;
  compact?: boolean;
  autoStart?: boolean;
  muted?: boolean;
  bare?: boolean;
}) {
  const id = "op-" + useId().replace(/[^a-zA-Z0-9]/g, "");
  const player = useRef<OvenPlayerInstance | null>(null);
  const [error, setError] = useState<string | null>(null);
  // null until the viewer's remembered choice is read (after hydration), so the player is made once.
  const [latency, setLatency] = useState<Latency | null>(null);
  const [playingType, setPlayingType] = useState<string | null>(null);
  // Primitive dependencies: the status poll hands over a new object every few seconds.
  const webrtcPath = latency === "low" ? (webrtc?.path ?? null) : null;
  const iceServers = JSON.stringify(webrtc?.iceServers ?? null);

  useEffect(() => setLatency(preferredLatency()), []);

  useEffect(() => {
    if (latency === null) return;
    let cancelled = false;
    setError(null);
    loadPlayerScripts()
      .then(() => {
        if (cancelled || !window.OvenPlayer) return;
        const sources = [
          ...(webrtcPath ? [{ type: "webrtc", file: signalingUrl(webrtcPath, viewerId), label: "Low latency" }] : []),
          { type: "hls", file: src, label: "Standard" },
        ];
        const p = window.OvenPlayer.create(id, {
          autoStart,
          autoFallback: true,
          mute: muted,
          controls: !compact,
          showBigPlayButton: !compact,
          sources,
          hlsConfig: {
            // Stay close to the live edge: latency is what live is for.
            liveSyncDurationCount: 2,
            liveMaxLatencyDurationCount: 6,
            maxBufferLength: 10,
            backBufferLength: 30,
          },
          webrtcConfig: {
            // Not connected within 2.5 s (twice): UDP is blocked somewhere; play HLS instead.
            connectionTimeout: 2500,
            timeoutMaxRetry: 1,
            ...(iceServers !== "null" ? { iceServers: JSON.parse(iceServers) } : {}),
          },
        });
        player.current = p;
        const current = () => {
          try {
            setPlayingType(p.getSources()[p.getCurrentSource()]?.type ?? null);
          } catch {}
        };
        p.on("ready", current);
        p.on("sourceChanged", current);
        p.on("stateChanged", current);
        p.on("error", (e) => {
          current();
          setError(e?.message ?? "Playback error");
        });
      })
      .catch((e: Error) => setError(e.message));
    return () => {
      cancelled = true;
      player.current?.remove();
      player.current = null;
      setPlayingType(null);
    };
  }, [id, src, compact, latency, webrtcPath, iceServers, viewerId, autoStart, muted]);

  const switchTo = (next: Latency) => {
    try {
      localStorage.setItem(LATENCY_KEY, next);
    } catch {}
    setLatency(next);
  };

  const lowNow = playingType === "webrtc";
  return (
    <div className={compact ? "player player-compact" : "player"} data-testid="live-player" data-source={playingType ?? ""}>
      <div id={id} />
      {!compact && !bare && webrtc && (
        <div className="row small latency-bar">
          <span className={lowNow ? "badge badge-live" : "badge"} data-testid="latency-mode" title={lowNow ? "WebRTC: under a second behind live" : "HLS: a few seconds behind live"}>
            {playingType === null ? "Connecting…" : lowNow ? "Low latency" : "Standard"}
          </span>
          {latency === "low" && playingType === "hls" && <span className="muted">Low latency could not connect from here; playing the standard stream.</span>}
          <button type="button" className="btn btn-small" onClick={() => switchTo(latency === "standard" ? "low" : "standard")}>
            {latency === "standard" ? "Switch to low latency" : "Switch to standard"}
          </button>
        </div>
      )}
      {error && !compact && !bare && !(latency === "low" && playingType === "hls") && (
        <p className="small muted" role="status">
          {error}. The player retries on its own; reload the page if it does not recover.
        </p>
      )}
    </div>
  );
}
