// Operational metrics in Prometheus' text format. Every role counts its events
// into one Redis hash (so any number of ingests, workers and web processes add
// up without a scrape of each), and the web app's /metrics renders those counters
// beside gauges it reads from the shared state (sessions, queues, heartbeats).
import { REDIS_KEY } from "./redisKeys.ts";
import { redis } from "./redis.ts";

/** The counters roles increment, with the labels each takes. One list, so a name cannot drift. */
export const COUNTER = {
  ingestPublishes: { name: "livehouse_ingest_publishes_total", help: "Publishes accepted by ingest", labels: [] },
  ingestRefusals: { name: "livehouse_ingest_refusals_total", help: "Connections or publishes ingest refused, by reason", labels: ["reason"] },
  chatMessages: { name: "livehouse_chat_messages_total", help: "Chat messages accepted into the channel feeds", labels: [] },
  chatRedactions: { name: "livehouse_chat_redactions_total", help: "Redactions applied to the channel feeds", labels: [] },
  chatFiltered: { name: "livehouse_chat_filtered_total", help: "Room events the chat rules removed before anyone saw them", labels: [] },
  transcodeFailures: { name: "livehouse_transcode_failures_total", help: "Live transcode runs that ended in an error", labels: [] },
  exportsFinished: { name: "livehouse_exports_total", help: "MP4 exports finished, by result", labels: ["result"] },
  replaysDeleted: { name: "livehouse_replays_deleted_total", help: "Replays deleted by the storage sweep, by reason (retention, budget)", labels: ["reason"] },
  webhookDeliveries: { name: "livehouse_webhook_deliveries_total", help: "Webhook deliveries finished, by result (failed: after every retry, or refused)", labels: ["result"] },
} as const satisfies Record<string, CounterSpec>;

export interface CounterSpec {
  name: string;
  help: string;
  labels: readonly string[];
}

export type Labels = Record<string, string>;

export interface Sample {
  labels?: Labels;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: "counter" | "gauge";
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function labelText(labels: Labels | undefined): string {
  const entries = Object.entries(labels ?? {});
  if (!entries.length) return "";
  for (const [k] of entries) if (!NAME.test(k) || k.includes(":")) throw new Error(`bad label name ${JSON.stringify(k)}`);
  return `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}`;
}

function valueText(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/** Prometheus text exposition format 0.0.4. */
export function renderMetrics(families: MetricFamily[]): string {
  const out: string[] = [];
  for (const f of families) {
    if (!NAME.test(f.name)) throw new Error(`bad metric name ${JSON.stringify(f.name)}`);
    out.push(`# HELP ${f.name} ${f.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) out.push(`${f.name}${labelText(s.labels)} ${valueText(s.value)}`);
  }
  return out.join("\n") + "\n";
}

/** A counter's hash field: its name and labels in the declared order. */
export function counterField(spec: CounterSpec, labels: Labels = {}): string {
  const missing = spec.labels.filter((l) => !(l in labels));
  const extra = Object.keys(labels).filter((l) => !spec.labels.includes(l));
  if (missing.length || extra.length) throw new Error(`${spec.name}: labels ${spec.labels.join(",") || "(none)"} expected`);
  return spec.name + labelText(Object.fromEntries(spec.labels.map((l) => [l, labels[l]])));
}

/** Adds to a counter. Never throws: a metric must not break what it counts. */
export async function count(spec: CounterSpec, labels: Labels = {}, by = 1): Promise<void> {
  try {
    await redis().hincrby(REDIS_KEY.metricCounters(), counterField(spec, labels), by);
  } catch {
    // Redis away or a bad label: the event itself still happened.
  }
}

/** Every counter as a metric family, zero where nothing was counted yet (for label-free counters). */
export function counterFamilies(stored: Record<string, string>): MetricFamily[] {
  return Object.values(COUNTER).map((spec: CounterSpec) => {
    const samples: Sample[] = [];
    for (const [field, value] of Object.entries(stored)) {
      if (field !== spec.name && !field.startsWith(`${spec.name}{`)) continue;
      const labels = Object.fromEntries([...field.slice(spec.name.length).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2].replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c))]));
      samples.push({ labels, value: Number(value) });
    }
    if (!samples.length && !spec.labels.length) samples.push({ value: 0 });
    return { name: spec.name, help: spec.help, type: "counter" as const, samples };
  });
}
