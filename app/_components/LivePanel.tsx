"use client";
import { useEffect, useState } from "react";
import type { DashboardLive, TranscodeStatus } from "../../lib/liveStatus.ts";
import { LivePlayer } from "./LivePlayer.tsx";
import { SessionStats } from "./SessionStats.tsx";

type Transcode = TranscodeStatus;

/** "keeping up (2 s behind live)", or "0.78× real time, 9 s behind" when it is not — or what it does after the publisher left. */
function transcodeSummary(t: Transcode | null, finishing: boolean): string {
  if (!t) return "—";
  if (finishing || t.draining) return t.lagSeconds ? `finishing the last ${Math.round(t.lagSeconds)} s` : "finishing";
  const step = t.level > 0 ? ` (x264 ${t.preset}${t.dropped.length ? `, without ${t.dropped.join(", ")}` : ""})` : "";
  const lag = t.lagSeconds !== null ? `${Math.round(t.lagSeconds)} s behind` : "measuring…";
  // Keeping up, the speed only mirrors the encoder's pace: the lag is what matters.
  if (!t.behind) return `keeping up (${lag} live)${step}`;
  return `${t.speed !== null ? `${t.speed.toFixed(2)}× real time` : "stalled"}, ${lag}${step}`;
}

function uptime(since: string, now: number): string {
  const s = Math.max(0, Math.floor((now - new Date(since).getTime()) / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return `${h ? `${h}:` : ""}${String(m).padStart(h ? 2 : 1, "0")}:${String(sec).padStart(2, "0")}`;
}

const CODEC_NAMES: [RegExp, string][] = [
  [/^avc1/, "H.264"],
  [/^mp4a\.40\.2$/, "AAC-LC"],
  [/^mp4a\.40\.5$/, "HE-AAC"],
  [/^mp4a/, "AAC"],
];
const codecName = (c: string | null) => (c ? (CODEC_NAMES.find(([re]) => re.test(c))?.[1] ?? c) + ` (${c})` : "—");

/** A channel's live state in the dashboard, refreshed every few seconds. */
export function LivePanel({ channelId }: { channelId: string }) {
  const [live, setLive] = useState<DashboardLive | null>(null);
  const [now, setNow] = useState(() => Date.now());
  const [confirming, setConfirming] = useState(false);
  const [ending, setEnding] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout>;
    const poll = async () => {
      try {
        const res = await fetch(`/api/channels/${channelId}/live`, { cache: "no-store" });
        if (res.ok) setLive(await res.json());
      } catch {}
      setNow(Date.now());
      if (!stopped) timer = setTimeout(poll, 2500);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [channelId]);

  async function endStream() {
    if (!live?.sessionId) return;
    setEnding(true);
    setError(null);
    const res = await fetch(`/api/live-sessions/${live.sessionId}/end`, { method: "POST" }).catch(() => null);
    setEnding(false);
    setConfirming(false);
    if (!res?.ok) setError("Could not end the stream. Try again.");
    else setLive({ ...live, status: "offline", hlsUrl: undefined });
  }

  const status = live?.status ?? "offline";
  const onAir = status !== "offline";
  const i = live?.ingest;
  return (
    <div className="stack" data-testid="live-panel">
      <div className="row" style={{ justifyContent: "space-between" }}>
        <div className="row">
          <span className={`badge ${onAir ? "badge-live" : "badge-offline"}`} data-testid="dashboard-live-status">
            {live?.finishing ? "Ending" : status === "live" ? "Live" : status === "reconnecting" ? "Reconnecting" : status === "starting" ? "Starting" : "Offline"}
          </span>
          {onAir && live?.startedAt && <span className="small muted" data-testid="uptime">up {uptime(live.startedAt, now)}</span>}
          {onAir && <span className="small muted" data-testid="dashboard-viewers">{live?.viewers ?? 0} watching</span>}
        </div>
        {onAir && !live?.finishing &&
          (confirming ? (
            <div className="row">
              <span className="small">End the stream for everyone?</span>
              <button type="button" className="btn btn-danger solid btn-small" disabled={ending} onClick={endStream}>
                {ending ? "Ending…" : "End stream"}
              </button>
              <button type="button" className="btn btn-small" onClick={() => setConfirming(false)}>
                Keep streaming
              </button>
            </div>
          ) : (
            <button type="button" className="btn btn-danger btn-small" onClick={() => setConfirming(true)}>
              End stream
            </button>
          ))}
      </div>
      {error && <div className="alert alert-error" role="alert">{error}</div>}
      {live?.streamProblem && (
        <div className="alert alert-error small" role="alert" data-testid="stream-problem">
          <strong>Your last stream could not be shown.</strong> {live.streamProblem}
        </div>
      )}
      {!onAir && <p className="small muted" style={{ margin: 0 }}>Not live. Start streaming in OBS and this panel shows your stream health.</p>}
      {live?.finishing && (
        <p className="small muted" style={{ margin: 0 }} data-testid="finishing">
          The stream has ended; the last of it is still being transcoded, so viewers see it to the end. The replay follows.
        </p>
      )}
      {live?.transcode?.warning && (
        <div className="alert alert-warn small" role="status" data-testid="transcode-warning">
          {live.transcode.warning}
        </div>
      )}
      {live?.transcode?.changes && (
        <div className="alert alert-warn small" role="status" data-testid="transcode-changes">
          {live.transcode.changes}
        </div>
      )}
      {live?.warnings.map((w) => (
        <div key={w} className="alert alert-warn small" role="status" data-testid="stream-warning">
          {w}
        </div>
      ))}
      {onAir && (
        <div className="live-grid">
          <div className="preview">{live?.hlsUrl ? <LivePlayer src={live.hlsUrl} compact /> : <div className="player-offline small">Preparing preview…</div>}</div>
          <dl className="facts small" data-testid="stream-health">
            <dt>Input</dt>
            <dd data-testid="health-resolution">{i?.width && i?.height ? `${i.width}×${i.height}` : "—"}</dd>
            <dt>Frame rate</dt>
            <dd data-testid="health-fps">{i?.fps ?? i?.declaredFps ?? "—"} fps</dd>
            <dt>Video</dt>
            <dd>{codecName(i?.videoCodec ?? null)}</dd>
            <dt>Audio</dt>
            <dd>{codecName(i?.audioCodec ?? null)}</dd>
            <dt>Bitrate</dt>
            <dd data-testid="health-bitrate">{i?.bitrateKbps ? `${(i.bitrateKbps / 1000).toFixed(2)} Mbit/s` : "—"}</dd>
            <dt>Keyframe interval</dt>
            <dd data-testid="health-keyframes">{i?.keyframeIntervalSeconds ? `${i.keyframeIntervalSeconds} s` : "—"}</dd>
            <dt>Transcoding</dt>
            <dd data-testid="health-transcode">{transcodeSummary(live?.transcode ?? null, Boolean(live?.finishing))}</dd>
          </dl>
        </div>
      )}
      {onAir && live?.stats && (
        <section aria-label="Audience of this stream" data-testid="live-stats">
          <h3 style={{ margin: "0 0 .5rem" }}>Audience</h3>
          <SessionStats stats={live.stats} />
        </section>
      )}
    </div>
  );
}
