// A webhook receiver for tests: a real HTTP server on 127.0.0.1 that records what
// it is sent and answers with the statuses it is told to.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { waitFor } from "./live.ts";

export interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  json: any;
  /** The status this receiver answered. */
  answered: number;
}

export interface Receiver {
  url: string;
  port: number;
  got: Received[];
  /** Statuses to answer with next, in order; after them, 200. */
  answerNext(...statuses: number[]): void;
  waitForCount(n: number, what: string, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startReceiver(path = "/hook"): Promise<Receiver> {
  const got: Received[] = [];
  const queue: number[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const answered = req.url === path && req.method === "POST" ? (queue.shift() ?? 200) : 404;
      let json: unknown = null;
      try {
        json = JSON.parse(body);
      } catch {}
      got.push({ headers: req.headers, body, json, answered });
      res.writeHead(answered, { "content-type": "text/plain" }).end(answered < 300 ? "received" : `receiver says ${answered}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    port,
    got,
    answerNext: (...statuses) => void queue.push(...statuses),
    waitForCount: (n, what, timeoutMs = 60_000) => waitFor(what, async () => (got.length >= n ? got.slice() : null), timeoutMs, 100),
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}
