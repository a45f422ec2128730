// A headless chat viewer: reads a channel's feed over Server-Sent Events
// exactly as the widget's EventSource does (a page, then entries; resuming
// with Last-Event-ID after a drop), and records what it got and when.
import http from "node:http";
import { FEED_EVENT, type FeedEntry, type FeedPage } from "../../lib/chat/feed.ts";

export interface Received {
  sid: string;
  entry: FeedEntry;
  at: number;
}

const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });

export class FeedReader {
  readonly live: Received[] = [];
  pages: FeedPage[] = [];
  private req: http.ClientRequest | null = null;
  private lastId: string | null = null;
  private closed = false;
  private generation = 0;
  private firstPage: Promise<void>;
  private resolveFirst!: () => void;
  private rejectFirst!: (err: Error) => void;
  /** Called for every live entry as it arrives (benchmarks time them). */
  onEntry: ((r: Received) => void) | null = null;

  constructor(private readonly url: string) {
    this.firstPage = new Promise((resolve, reject) => {
      this.resolveFirst = resolve;
      this.rejectFirst = reject;
    });
  }

  /** Resolves once the first page is in. */
  start(): Promise<void> {
    this.connect();
    return this.firstPage;
  }

  private connect(): void {
    if (this.closed) return;
    const generation = ++this.generation;
    // "end", "error" and the request's error can all follow one drop: reconnect once.
    const again = () => {
      if (generation === this.generation) this.reconnect();
    };
    const headers: Record<string, string> = { accept: "text/event-stream" };
    if (this.lastId) headers["last-event-id"] = this.lastId;
    const req = http.get(this.url, { agent, headers }, (res) => {
      if (res.statusCode !== 200) {
        this.rejectFirst(new Error(`feed answered ${res.statusCode}`));
        res.resume();
        return;
      }
      res.setEncoding("utf8");
      let buf = "";
      res.on("data", (chunk: string) => {
        buf += chunk;
        for (let end = buf.indexOf("\n\n"); end >= 0; end = buf.indexOf("\n\n")) {
          this.frame(buf.slice(0, end));
          buf = buf.slice(end + 2);
        }
      });
      res.on("end", again);
      res.on("error", again);
    });
    req.on("error", (err) => {
      if (!this.pages.length) this.rejectFirst(err);
      again();
    });
    this.req = req;
  }

  private reconnect(): void {
    if (this.closed) return;
    this.generation++;
    setTimeout(() => this.connect(), 500);
  }

  private frame(text: string): void {
    let id: string | null = null;
    let event = "message";
    let data = "";
    for (const line of text.split("\n")) {
      if (line.startsWith("id: ")) id = line.slice(4);
      else if (line.startsWith("event: ")) event = line.slice(7);
      else if (line.startsWith("data: ")) data += line.slice(6);
    }
    if (!data) return;
    if (id) this.lastId = id;
    if (event === FEED_EVENT.page) {
      this.pages.push(JSON.parse(data) as FeedPage);
      this.resolveFirst();
      return;
    }
    const r = { sid: id ?? "", entry: JSON.parse(data) as FeedEntry, at: performance.now() };
    this.live.push(r);
    this.onEntry?.(r);
  }

  /** Message ids received live, in order. */
  messageIds(): string[] {
    return this.live.flatMap((r) => (r.entry.t === "msg" ? [r.entry.id] : []));
  }

  redactedIds(): string[] {
    return this.live.flatMap((r) => (r.entry.t === "redact" ? [r.entry.target] : []));
  }

  /** Cuts the connection as a network drop would; the reader reconnects with Last-Event-ID. */
  drop(): void {
    this.req?.destroy();
  }

  close(): void {
    this.closed = true;
    this.req?.destroy();
  }
}
