// One webhook delivery attempt over HTTP: POST the body to the destination, through
// the destination rules (destination.ts) on the address actually connected to, with
// no redirects followed, a deadline for the whole exchange and a cap on what is read
// of the answer. Never throws: the outcome is data for the delivery log.
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { config } from "../config.ts";
import { DestinationRefused, checkAddressLiteral, guardedLookup, parseDestination, type LookupAll } from "./destination.ts";

/** What is read of a receiver's answer at most; the rest is not waited for. */
export const RESPONSE_READ_CAP_BYTES = 64 * 1024;
/** What the delivery log keeps of it. */
export const RESPONSE_SNIPPET_CHARS = 500;

export interface AttemptResult {
  ok: boolean;
  /** HTTP status, or null when no answer came (refused, unreachable, timed out). */
  status: number | null;
  durationMs: number;
  /** The start of the answer's body, control characters removed. */
  snippet: string;
  bytesRead: number;
  /** Why it did not count as delivered (null when it did). */
  error: string | null;
  /** The destination is not allowed: retrying cannot help. */
  refused: boolean;
}

export interface AttemptOptions {
  allowPrivate?: boolean;
  /** The resolver (tests stand in a rebinding one); the system's by default. */
  lookup?: LookupAll;
  timeoutMs?: number;
  maxResponseBytes?: number;
}

const printable = (s: string) => s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, "").slice(0, RESPONSE_SNIPPET_CHARS);

export async function postWebhook(rawUrl: string, body: string, headers: Record<string, string>, opts: AttemptOptions = {}): Promise<AttemptResult> {
  const started = Date.now();
  const allowPrivate = opts.allowPrivate ?? config.webhookAllowPrivate;
  const timeoutMs = opts.timeoutMs ?? config.webhookTimeoutSeconds * 1000;
  const cap = opts.maxResponseBytes ?? RESPONSE_READ_CAP_BYTES;
  const result = (r: Partial<AttemptResult>): AttemptResult => ({ ok: false, status: null, snippet: "", bytesRead: 0, error: null, refused: false, ...r, durationMs: Date.now() - started });

  let url: URL;
  try {
    url = parseDestination(rawUrl);
    // An address literal never goes through the lookup below.
    checkAddressLiteral(url, allowPrivate);
  } catch (err) {
    return result({ error: (err as Error).message, refused: true });
  }

  return new Promise<AttemptResult>((resolve) => {
    let settled = false;
    const finish = (r: AttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      req.destroy();
      resolve(r);
    };
    const payload = Buffer.from(body, "utf8");
    const req = (url.protocol === "https:" ? https : http).request(url, {
      method: "POST",
      headers: { ...headers, "content-length": String(payload.length) },
      // A connection of its own each time: nothing pooled that was checked against an earlier answer.
      agent: false,
      lookup: guardedLookup({ allowPrivate, lookup: opts.lookup }) as unknown as net.LookupFunction,
    });
    const deadline = setTimeout(() => finish(result({ error: `No complete answer within ${Math.round(timeoutMs / 1000)} s (timed out).` })), timeoutMs);
    req.on("error", (err) => {
      const refused = err instanceof DestinationRefused;
      finish(result({ error: refused ? err.message : `Could not deliver: ${(err as NodeJS.ErrnoException).code ?? err.message}.`, refused }));
    });
    req.on("response", (res) => {
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let bytesRead = 0;
      const done = () => {
        const snippet = printable(Buffer.concat(chunks).toString("utf8"));
        const ok = status >= 200 && status < 300;
        const error = ok ? null : status >= 300 && status < 400 ? `Answered ${status} (redirects are not followed).` : `Answered ${status}.`;
        finish(result({ ok, status, snippet, bytesRead, error }));
      };
      res.on("data", (c: Buffer) => {
        const room = cap - bytesRead;
        if (room > 0) chunks.push(c.subarray(0, room));
        bytesRead += Math.min(c.length, Math.max(room, 0));
        // Enough: the status is known and the log keeps only the start.
        if (bytesRead >= cap) done();
      });
      res.on("end", done);
      res.on("error", done);
    });
    req.end(payload);
  });
}
