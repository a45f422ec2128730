// What the admin's job page shows of one BullMQ job, and nothing more. Job data
// carries ids only (lib/queue.ts), but the page must not become the place where
// something else leaks: only fields named like ids (and the job's kind) are
// shown, only values shaped like ids, and the failure reason is its first line,
// redacted like a log line. Pure, so the rules are unit-tested.
import { redact } from "./log.ts";

/** The parts of a BullMQ Job this reads (a Job has them all). */
export interface JobLike {
  id?: string;
  name: string;
  data: unknown;
  failedReason?: string;
  attemptsMade: number;
  opts: { attempts?: number };
  timestamp: number;
  processedOn?: number;
  finishedOn?: number;
  progress: unknown;
}

export interface JobSummary {
  queue: string;
  id: string;
  name: string;
  /** data.kind for queues that carry several kinds of job (control, chat). */
  kind: string | null;
  /** [field, value] for each id the job carries, e.g. ["replayId", "…uuid…"]. */
  ids: [string, string][];
  /** First line of the failure, redacted and shortened; null when it has not failed. */
  reason: string | null;
  attemptsMade: number;
  attempts: number;
  queuedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  /** Percent done (0–100) when the job reports it (replay exports do). */
  progress: number | null;
}

/** Fields whose values are ids: sessionId, replayId, sessionIds, partIndex, ref, … */
const ID_FIELD = /^(?:[a-z][A-Za-z]*(?:Id|Ids|Index)|ref|notice)$/;
/** UUIDs, numbers, Matrix ids (!room:server), refs; nothing with spaces, slashes or quotes. */
const ID_VALUE = /^[A-Za-z0-9!$#@:._+=-]{1,120}$/;
const KIND = /^[a-z][a-z-]{0,39}$/;
const MAX_LIST = 5;
export const MAX_REASON = 300;

function idText(value: unknown): string | null {
  const text = typeof value === "number" && Number.isFinite(value) ? String(value) : typeof value === "string" ? value : null;
  if (text === null || !ID_VALUE.test(text)) return null;
  // A stream key is shaped like an id; redact() knows it.
  return redact(text);
}

/** The ids a job's data carries, in the data's order; anything else is left out. */
export function jobIds(data: unknown): [string, string][] {
  if (typeof data !== "object" || data === null || Array.isArray(data)) return [];
  const out: [string, string][] = [];
  for (const [field, value] of Object.entries(data)) {
    if (!ID_FIELD.test(field)) continue;
    if (Array.isArray(value)) {
      const items = value.slice(0, MAX_LIST).map(idText);
      const more = value.length > MAX_LIST ? ` (+${value.length - MAX_LIST} more)` : "";
      out.push([field, items.map((v) => v ?? "(hidden)").join(", ") + more]);
    } else out.push([field, idText(value) ?? "(hidden)"]);
  }
  return out;
}

/**
 * The first non-empty line of an error, redacted, at most MAX_REASON characters.
 * A first line that only leads in ("Invalid `prisma.x.findUnique()` invocation:",
 * whose middle lines echo the query) gets the last line, which names the cause.
 */
export function failureLine(reason: string | undefined | null): string | null {
  const lines = (reason ?? "")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  if (lines.length === 0) return null;
  const line = lines[0].endsWith(":") && lines.length > 1 ? `${lines[0]} … ${lines.at(-1)}` : lines[0];
  const clean = redact(line);
  return clean.length > MAX_REASON ? `${clean.slice(0, MAX_REASON - 1)}…` : clean;
}

/** A job's reported progress as a percentage, or null when it reports none. */
export function progressPercent(progress: unknown): number | null {
  if (typeof progress !== "number" || !Number.isFinite(progress)) return null;
  return Math.min(100, Math.max(0, Math.round(progress)));
}

export function summarizeJob(queue: string, job: JobLike): JobSummary {
  const data = typeof job.data === "object" && job.data !== null ? (job.data as Record<string, unknown>) : {};
  const kind = typeof data.kind === "string" && KIND.test(data.kind) ? data.kind : null;
  return {
    queue,
    id: job.id ?? "",
    name: job.name,
    kind,
    ids: jobIds(job.data),
    reason: failureLine(job.failedReason),
    attemptsMade: job.attemptsMade,
    attempts: job.opts.attempts ?? 1,
    queuedAt: job.timestamp,
    startedAt: job.processedOn ?? null,
    finishedAt: job.finishedOn ?? null,
    progress: progressPercent(job.progress),
  };
}

/** Newest failure first across queues (each list already newest first), one page of it. */
export function newestFailedPage(lists: JobSummary[][], page: number, perPage: number): JobSummary[] {
  return lists
    .flat()
    .sort((a, b) => (b.finishedAt ?? 0) - (a.finishedAt ?? 0) || a.queue.localeCompare(b.queue) || a.id.localeCompare(b.id))
    .slice((page - 1) * perPage, page * perPage);
}

/** A page number from a query string: 1 for anything that is not a whole number from 1 to `pages`. */
export function pageNumber(raw: unknown, pages: number): number {
  const n = typeof raw === "string" && /^\d{1,6}$/.test(raw) ? Number(raw) : 1;
  return Math.min(Math.max(1, n), Math.max(1, pages));
}
