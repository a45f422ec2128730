import type { SessionStatsView } from "../../lib/stats/statsView.ts";
import { describeIncident } from "../../lib/stats/series.ts";
import { formatDuration } from "../../lib/formatDuration.ts";
import { ViewerGraph } from "./ViewerGraph.tsx";

const mbits = (kbps: number) => `${(kbps / 1000).toFixed(2)} Mbit/s`;

/** A session's statistics for its creator: the viewer graph with the figures beside it. */
export function SessionStats({ stats }: { stats: SessionStatsView }) {
  const incidents = stats.incidents;
  return (
    <div className="session-stats" data-testid="session-stats">
      <ViewerGraph
        samples={stats.samples}
        durationSeconds={stats.durationSeconds}
        sampleEverySeconds={stats.sampleEverySeconds}
        peak={stats.peakViewers}
        average={stats.averageViewers}
      />
      <dl className="facts small session-stats-figures">
        <dt>Peak viewers</dt>
        <dd data-testid="stats-peak">
          {stats.peakViewers}
          {stats.peakAt !== null && stats.peakViewers > 0 && <span className="muted"> at {formatDuration(stats.peakAt)}</span>}
        </dd>
        <dt>Average viewers</dt>
        <dd data-testid="stats-average">{stats.averageViewers ?? "—"}</dd>
        <dt>Unique viewers</dt>
        <dd data-testid="stats-unique">{stats.uniqueViewers}</dd>
        <dt>Chat messages</dt>
        <dd data-testid="stats-chat">{stats.chatMessages}</dd>
        <dt>Average bitrate</dt>
        <dd data-testid="stats-bitrate">{stats.averageBitrateKbps ? mbits(stats.averageBitrateKbps) : "—"}</dd>
        <dt>Incidents</dt>
        <dd>{incidents.length === 0 ? "none" : `${incidents.length} (below)`}</dd>
      </dl>
      <div className="small session-stats-incidents" data-testid="stats-incidents">
        {incidents.length === 0 ? (
          "No incidents: no reconnects, dropped frames, slow encoder or transcode falling behind."
        ) : (
          <ul className="incident-list" aria-label="Incidents">
            {incidents.map((i) => (
              <li key={`${i.kind}-${i.at}`} data-testid="stats-incident" data-kind={i.kind}>{describeIncident(i)}{i.open ? " (still going on)" : ""}</li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}
