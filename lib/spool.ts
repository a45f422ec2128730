// The spool protocol between ingest and workers. Ingest keeps every live part's
// source as it arrives (an FLV spool on its disk) and serves it over HTTP; a
// worker reads it from any position instead of from a live relay, so a slow or
// restarted reader never loses media:
//
//   GET {ingest}/spool/<part id>.flv?e=<epoch>&t=<hmac>[&from=<ms>]
//
// where {ingest} is the internal URL of the ingest that holds the part, recorded on
// the part when its publisher connected (several ingest hosts may run; a worker
// reads each part from its own ingest).
//
//   200  FLV (chunked): header and codec headers, then every tag from the last
//        keyframe at or before `from` (publisher timeline, ms; default: the
//        start), following the spool as it grows. The response ends once the
//        publisher has left and everything has been sent. X-Spool-Start-Ms: the
//        timestamp of the first keyframe sent.
//   HEAD: the same headers (where a read would start) without the media.
//   403  bad token          404  no spool for this part here
//   409  a newer epoch (transcode attempt) is reading this part
//
// A newer epoch's read ends any older one's: two ffmpeg processes never read
// one part at once. Reads are authorised by their token alone (never by client
// address), so address limits on the public port cannot stop transcodes.
import { config } from "./config.ts";
import { isUuid } from "./channels.ts";
import { internalSecret, signInternalRead, verifyInternalRead } from "./internalAuth.ts";

export const SPOOL_START_HEADER = "x-spool-start-ms";

/** A part and the ingest that spools it (null: this process's INGEST_INTERNAL_URL). */
export interface SpoolRef {
  id: string;
  ingestUrl: string | null;
}

export async function spoolReadUrl(part: SpoolRef, epoch: number, fromMs?: number | null): Promise<string> {
  const token = signInternalRead(await internalSecret(), part.id, epoch);
  const from = fromMs !== undefined && fromMs !== null ? `&from=${Math.max(0, Math.floor(fromMs))}` : "";
  return `${part.ingestUrl ?? config.ingestInternalUrl}/spool/${part.id}.flv?e=${epoch}&t=${token}${from}`;
}

export type SpoolRequest = { ok: true; partId: string; epoch: number; fromMs: number | null } | { ok: false; status: 403 | 404; reason: string };

/** Checks a request's path and token (pure but for the secret passed in). */
export function parseSpoolRequest(pathAndQuery: string, secret: string): SpoolRequest {
  const url = new URL(pathAndQuery, "http://ingest.invalid");
  const m = /^\/spool\/([0-9a-f-]{36})\.flv$/.exec(url.pathname);
  if (!m || !isUuid(m[1])) return { ok: false, status: 404, reason: "not a spool path" };
  const partId = m[1];
  const e = url.searchParams.get("e");
  const t = url.searchParams.get("t");
  if (!verifyInternalRead(secret, partId, e ?? undefined, t ?? undefined)) return { ok: false, status: 403, reason: "bad token" };
  const from = url.searchParams.get("from");
  const fromMs = from !== null && /^\d{1,13}$/.test(from) ? Number(from) : null;
  return { ok: true, partId, epoch: Number(e), fromMs };
}

/** Where a read from `fromMs` starts (ms, the first keyframe sent), or null when ingest has no spool for the part. */
export async function spoolStartMs(part: SpoolRef, epoch: number, fromMs?: number | null): Promise<number | null> {
  const res = await fetch(await spoolReadUrl(part, epoch, fromMs), { method: "HEAD", signal: AbortSignal.timeout(30_000) });
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`spool HEAD: HTTP ${res.status}`);
  const start = Number(res.headers.get(SPOOL_START_HEADER));
  return Number.isFinite(start) ? start : null;
}
