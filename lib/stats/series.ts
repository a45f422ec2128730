// Pure rules of a session's statistics: the viewer-count series (its average and
// its downsampling for a graph) and the incidents the sampler notices. No I/O:
// the sampler (sessionStats.ts), the API (statsView.ts) and the dashboard use them.
import { formatDuration } from "../formatDuration.ts";

/** One viewer-count sample: seconds since the session started, and the viewers then. */
export interface Sample {
  at: number;
  viewers: number;
}

export type IncidentKind = "reconnect" | "frames-dropped" | "encoder-slow" | "transcode-behind";
export type SampledKind = Exclude<IncidentKind, "reconnect">;

/** An episode: seen first at `at` (seconds into the session), last `seconds` later. */
export interface Incident {
  kind: IncidentKind;
  at: number;
  seconds: number;
  /** The worst measurement of the episode (see INCIDENT_VALUE). */
  value: number | null;
  /** Still seen at the latest sample. */
  open?: boolean;
}

/** What the sampler saw at one sample. */
export interface Observation {
  kind: SampledKind;
  value: number;
}

/** What each kind's value measures, and which way is worse. */
export const INCIDENT_VALUE: Record<IncidentKind, { worse: "lower" | "higher" }> = {
  // share of the declared frame rate that arrived
  "frames-dropped": { worse: "lower" },
  // media seconds the encoder sent per wall-clock second
  "encoder-slow": { worse: "lower" },
  // seconds the transcode was behind the live edge
  "transcode-behind": { worse: "higher" },
  // seconds the publisher was away
  reconnect: { worse: "higher" },
};

/** More incidents than this in one session are not recorded (the row stays small). */
export const MAX_INCIDENTS = 500;

export function zipSamples(offsets: readonly number[], viewers: readonly number[]): Sample[] {
  const n = Math.min(offsets.length, viewers.length);
  const out: Sample[] = [];
  for (let i = 0; i < n; i++) out.push({ at: offsets[i], viewers: viewers[i] });
  return out;
}

/** A new sample is taken only this long after the last one: a repeated sweep adds nothing. */
export function acceptsSample(lastAt: number | undefined, at: number, minGapSeconds: number): boolean {
  return lastAt === undefined || at - lastAt >= minGapSeconds;
}

/**
 * Average concurrent viewers over the sampled span, weighted by time (the count taken
 * as changing linearly between samples, so a missed sample does not skew it).
 */
export function averageViewers(samples: readonly Sample[]): number | null {
  if (samples.length === 0) return null;
  if (samples.length === 1) return samples[0].viewers;
  let area = 0;
  for (let i = 1; i < samples.length; i++) area += ((samples[i].viewers + samples[i - 1].viewers) / 2) * (samples[i].at - samples[i - 1].at);
  const span = samples[samples.length - 1].at - samples[0].at;
  if (span <= 0) return samples.reduce((s, x) => s + x.viewers, 0) / samples.length;
  return area / span;
}

/**
 * At most `maxPoints` samples for a graph: consecutive samples in equal buckets, each
 * bucket represented by its largest count (so peaks stay visible and the graph's
 * highest point is the series' highest).
 */
export function downsample(samples: readonly Sample[], maxPoints: number): Sample[] {
  if (maxPoints < 1) throw new Error("maxPoints must be at least 1");
  if (samples.length <= maxPoints) return samples.slice();
  const size = Math.ceil(samples.length / maxPoints);
  const out: Sample[] = [];
  for (let i = 0; i < samples.length; i += size) {
    let best = samples[i];
    for (let j = i + 1; j < Math.min(i + size, samples.length); j++) if (samples[j].viewers > best.viewers) best = samples[j];
    out.push(best);
  }
  return out;
}

function worse(kind: IncidentKind, a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return INCIDENT_VALUE[kind].worse === "lower" ? Math.min(a, b) : Math.max(a, b);
}

/**
 * The incidents after a sample at `at` that saw `observed`: an open episode of a kind
 * seen again grows to `at` (keeping its worst value); one not seen again closes; a
 * kind seen without an open episode starts one.
 */
export function trackIncidents(incidents: readonly Incident[], observed: readonly Observation[], at: number, max = MAX_INCIDENTS): Incident[] {
  const seen = new Map<SampledKind, number>();
  for (const o of observed) seen.set(o.kind, seen.has(o.kind) ? worse(o.kind, seen.get(o.kind)!, o.value)! : o.value);
  const out: Incident[] = [];
  for (const i of incidents) {
    if (!i.open || i.kind === "reconnect") {
      out.push(i);
      continue;
    }
    const v = seen.get(i.kind as SampledKind);
    if (v === undefined) {
      const { open: _, ...closed } = i;
      out.push(closed);
    } else {
      out.push({ ...i, seconds: Math.max(i.seconds, at - i.at), value: worse(i.kind, i.value, v) });
      seen.delete(i.kind as SampledKind);
    }
  }
  for (const [kind, value] of seen) if (out.length < max) out.push({ kind, at, seconds: 0, value, open: true });
  return out;
}

/** Every episode closed (the session ended). */
export function closeIncidents(incidents: readonly Incident[]): Incident[] {
  return incidents.map(({ open: _, ...i }) => i);
}

/** A reconnect per join between parts: when the publisher left, and how long it was away. */
export function reconnectIncidents(parts: readonly { index: number; startedAt: Date; endedAt: Date | null }[], sessionStartedAt: Date): Incident[] {
  const sorted = [...parts].sort((a, b) => a.index - b.index);
  const out: Incident[] = [];
  for (let i = 0; i + 1 < sorted.length; i++) {
    const left = sorted[i].endedAt ?? sorted[i + 1].startedAt;
    const away = Math.max(0, Math.round((sorted[i + 1].startedAt.getTime() - left.getTime()) / 1000));
    out.push({ kind: "reconnect", at: Math.max(0, Math.round((left.getTime() - sessionStartedAt.getTime()) / 1000)), seconds: away, value: away });
  }
  return out;
}

/** Incidents in the order they began. */
export function sortIncidents(incidents: readonly Incident[]): Incident[] {
  return [...incidents].sort((a, b) => a.at - b.at || a.kind.localeCompare(b.kind));
}

const INCIDENT_NAME: Record<IncidentKind, string> = {
  reconnect: "Publisher reconnected",
  "frames-dropped": "Frames dropped by the encoder",
  "encoder-slow": "Encoder slower than real time",
  "transcode-behind": "Transcode fell behind",
};

/** "Transcode fell behind at 12:30 for 45 s (up to 9 s behind)": for the dashboard and screen readers. */
export function describeIncident(i: Incident): string {
  const when = `at ${formatDuration(i.at)}`;
  const long = i.seconds >= 1 ? ` for ${formatDuration(i.seconds)}` : "";
  let worst = "";
  if (i.value !== null) {
    if (i.kind === "frames-dropped") worst = ` (down to ${Math.round(i.value * 100)} % of the frames)`;
    else if (i.kind === "encoder-slow") worst = ` (down to ${i.value.toFixed(2)}× real time)`;
    else if (i.kind === "transcode-behind") worst = ` (up to ${Math.round(i.value)} s behind)`;
  }
  if (i.kind === "reconnect") return `${INCIDENT_NAME.reconnect} ${when}, after ${formatDuration(i.seconds)} away`;
  return `${INCIDENT_NAME[i.kind]} ${when}${long}${worst}`;
}
