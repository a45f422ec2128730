import { useId } from "react";
import { formatDuration } from "../../lib/formatDuration.ts";
import { GRAPH_BOX, viewerGraph } from "../../lib/stats/graph.ts";
import type { Sample } from "../../lib/stats/series.ts";

/**
 * Concurrent viewers over a session as inline SVG: no chart library, no script of its
 * own (it renders the same on the server). The title and description carry the
 * figures for screen readers; the samples themselves are also in the figures beside it.
 */
export function ViewerGraph({ samples, durationSeconds, sampleEverySeconds, peak, average }: {
  samples: Sample[];
  durationSeconds: number;
  sampleEverySeconds: number;
  peak: number;
  average: number | null;
}) {
  const id = useId();
  if (samples.length === 0 || samples.every((s) => s.viewers === 0)) {
    return (
      <p className="small muted viewer-graph-empty" data-testid="viewer-graph-empty">
        No viewers yet. The graph fills in as people watch (a point every {sampleEverySeconds} s).
      </p>
    );
  }
  // Missed samples (no worker running) break the line instead of drawing a guess.
  const g = viewerGraph(samples, { durationSeconds, gapSeconds: sampleEverySeconds * 3 });
  const b = GRAPH_BOX;
  const description =
    `${samples.length} samples over ${formatDuration(durationSeconds)}: peak ${peak} concurrent viewer${peak === 1 ? "" : "s"}` +
    (average !== null ? `, ${average} on average` : "") + ".";
  return (
    <svg
      className="viewer-graph"
      viewBox={`0 0 ${b.width} ${b.height}`}
      role="img"
      aria-labelledby={`${id}-t ${id}-d`}
      data-testid="viewer-graph"
      data-points={g.points}
    >
      <title id={`${id}-t`}>Concurrent viewers over the stream</title>
      <desc id={`${id}-d`}>{description}</desc>
      {g.yTicks.map((t) => (
        <g key={t.label} className="viewer-graph-grid">
          <line x1={b.left} x2={b.width - b.right} y1={t.y} y2={t.y} />
          <text x={b.left - 6} y={t.y} textAnchor="end" dominantBaseline="middle">{t.label}</text>
        </g>
      ))}
      {g.xTicks.map((t, i) => (
        <text key={i} className="viewer-graph-axis" x={t.x} y={b.height - 6} textAnchor={i === 0 ? "start" : i === g.xTicks.length - 1 ? "end" : "middle"}>
          {t.label}
        </text>
      ))}
      <path className="viewer-graph-area" d={g.area} />
      <path className="viewer-graph-line" d={g.line} data-testid="viewer-graph-line" />
    </svg>
  );
}
