// The HTTP side of the appservice that the homeserver talks to, on top of
// matrix-appservice's AppService (which matrix-appservice-bridge's Bridge
// drives). Two of its defaults are not good enough for us:
// - it compares hs_token with `!==`, which leaks timing; we compare in constant time;
// - it remembers only the last transaction id, in memory; a homeserver retrying an
//   older transaction, or any retry after our restart, would be handled twice. We
//   keep processed transaction ids in PostgreSQL.
import { createHash, timingSafeEqual } from "node:crypto";
import type { Express, NextFunction, Request, Response } from "express";
import { AppService } from "matrix-appservice-bridge";
import { recordTransaction, transactionProcessed } from "../lib/chat/store.ts";
import { internalSecret } from "../lib/internalAuth.ts";
import { logger } from "../lib/log.ts";

const log = logger("appservice");

export type MatrixEvent = {
  event_id: string;
  room_id: string;
  sender: string;
  type: string;
  state_key?: string;
  origin_server_ts?: number;
  content?: Record<string, unknown>;
  unsigned?: Record<string, unknown>;
};

/** Compares digests, so neither length nor content of the token leaks through timing. */
export function tokenMatches(expected: string, provided: unknown): boolean {
  if (typeof provided !== "string" || provided.length === 0) return false;
  const a = createHash("sha256").update(expected).digest();
  const b = createHash("sha256").update(provided).digest();
  return timingSafeEqual(a, b);
}

/** Our internal API (internalApi.ts), authorised by the internal secret instead of hs_token. */
export const INTERNAL_PREFIX = "/_livehouse/";

export function bearer(req: Request): string | undefined {
  const header = req.headers.authorization;
  return typeof header === "string" && header.startsWith("Bearer ") ? header.slice("Bearer ".length) : undefined;
}

function providedToken(req: Request): string | undefined {
  const fromHeader = bearer(req);
  if (fromHeader !== undefined) return fromHeader;
  const q = req.query.access_token;
  return typeof q === "string" ? q : undefined;
}

// AppService declares these two methods private in its typings; at run time they
// are ordinary methods that its routes call, so overriding them works.
const AppServiceBase = AppService as unknown as new (config: { homeserverToken: string; httpMaxSizeBytes?: number }) => Omit<AppService, "isInvalidToken" | "onTransaction">;

export class HomeserverAppService extends AppServiceBase {
  constructor(
    private readonly hsToken: string,
    /** Handles one transaction's events in order; resolves when they are done, with its chat messages by channel. */
    private readonly processEvents: (events: MatrixEvent[]) => Promise<ReadonlyMap<string, number>>,
  ) {
    super({ homeserverToken: hsToken, httpMaxSizeBytes: 5_000_000 });
    this.checkTokenBeforeParsing();
  }

  /**
   * AppService installs its JSON body parser (up to 5 MB) in front of every route, so a
   * stranger's body was read and parsed before anyone looked at the token. The parser
   * now runs only for requests that carry the homeserver's token or, on our internal
   * API, the internal secret; everything else is refused unread.
   */
  private checkTokenBeforeParsing(): void {
    const stack = ((this.expressApp as unknown as { _router?: { stack: { name: string; handle: (req: Request, res: Response, next: NextFunction) => void }[] } })._router?.stack ?? []);
    const layer = stack.find((l) => l.name === "jsonParser");
    if (!layer) throw new Error("matrix-appservice's JSON parser was not found; the token check before parsing cannot be installed");
    const parse = layer.handle;
    layer.handle = (req, res, next) => {
      if (req.method === "GET" || req.method === "HEAD") return parse(req, res, next);
      const internal = req.path.startsWith(INTERNAL_PREFIX);
      void (internal ? internalSecret().then((secret) => tokenMatches(secret, bearer(req))) : Promise.resolve(tokenMatches(this.hsToken, providedToken(req)))).then(
        (ok) => {
          if (ok) return parse(req, res, next);
          log.warn("refused a request with a wrong token before reading its body", { path: req.path, from: req.socket.remoteAddress });
          // Answered unread: node discards what is still coming rather than buffering it.
          res.set("Connection", "close").status(403).send({ errcode: "M_FORBIDDEN", error: "Bad token supplied" });
        },
        (err) => next(err),
      );
    };
  }

  isInvalidToken(req: Request, res: Response): boolean {
    if (tokenMatches(this.hsToken, providedToken(req))) return false;
    log.warn("refused a request with a wrong hs_token", { path: req.path, from: req.socket.remoteAddress });
    res.status(403).send({ errcode: "M_FORBIDDEN", error: "Bad token supplied" });
    return true;
  }

  async onTransaction(req: Request, res: Response): Promise<void> {
    if (this.isInvalidToken(req, res)) return;
    const txnId = String(req.params.txnId ?? "");
    const events = Array.isArray(req.body?.events) ? (req.body.events as MatrixEvent[]) : null;
    if (!txnId || txnId.length > 255 || !events) {
      res.status(400).send({ errcode: "M_BAD_JSON", error: "Expected a transaction id and an events array" });
      return;
    }
    try {
      if (await transactionProcessed(txnId)) {
        res.send({});
        return;
      }
      // The bridge keeps its membership and power-level caches from state events; messages,
      // the bulk of a busy room, would only cost it a request object and a promise chain each.
      for (const event of events) if (event.state_key !== undefined) this.emit("event", event);
      const messages = await this.processEvents(events);
      await recordTransaction(txnId, events.length, messages);
      res.send({});
    } catch (err) {
      // Not recorded: the homeserver retries the transaction later.
      log.error("transaction failed", { txnId, error: String(err) });
      res.status(500).send({ errcode: "M_UNKNOWN", error: "Transaction failed; retry" });
    }
  }

  /** Malformed JSON and other express errors answer in Matrix's error shape, not HTML. */
  installErrorHandler(): void {
    (this.expressApp as Express).use((err: Error & { status?: number }, _req: Request, res: Response, next: NextFunction) => {
      if (res.headersSent) return next(err);
      res.status(err.status && err.status < 500 ? err.status : 500).send({ errcode: err.status === 400 ? "M_NOT_JSON" : "M_UNKNOWN", error: err.status === 400 ? "Request body is not valid JSON" : "Internal error" });
    });
  }
}

/** What Bridge.listen expects. */
export const asAppService = (s: HomeserverAppService): AppService => s as unknown as AppService;
