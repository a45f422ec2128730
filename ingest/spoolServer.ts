// Serves spooled sources to workers over HTTP (protocol: lib/spool.ts). A read
// follows the spool as it grows and backs off when its reader is slow (the
// spool is on disk, so a slow or restarted reader costs no memory and loses
// nothing), and ends after the last byte once the publisher has left.
import type { FileHandle } from "node:fs/promises";
import { open } from "node:fs/promises";
import http from "node:http";
import { logger } from "../lib/log.ts";
import { SPOOL_START_HEADER, parseSpoolRequest } from "../lib/spool.ts";
import { flvFileHeader, retimedTag } from "./flvTags.ts";
import type { SpoolRegistry } from "./spoolRegistry.ts";
import type { PartSpool, StartPosition } from "./spool.ts";

const log = logger("ingest");
const READ_BYTES = 256 << 10;

interface Reader {
  epoch: number;
  res: http.ServerResponse;
}

export function startSpoolServer(opts: { port: number; bind: string; secret: string; spools: SpoolRegistry }): http.Server {
  const readers = new Map<string, Set<Reader>>();

  const server = http.createServer((req, res) => {
    void handle(req, res).catch((err) => {
      log.warn("spool read failed", { error: String(err).slice(0, 200) });
      res.destroy();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method !== "GET" && req.method !== "HEAD") return void res.writeHead(405).end();
    if (req.url === "/health") return void res.writeHead(200).end("ok");
    const parsed = parseSpoolRequest(req.url ?? "/", opts.secret);
    if (!parsed.ok) {
      if (parsed.status === 403) log.warn("spool read refused: bad token");
      return void res.writeHead(parsed.status).end(parsed.reason);
    }
    const spool = await opts.spools.get(parsed.partId);
    if (!spool) return void res.writeHead(404).end("no spool for this part");

    // HEAD: where a read from `from` would start (the worker aligns its keyframes on it). Not a reader.
    if (req.method === "HEAD") {
      const closed = new Promise<void>((resolve) => res.once("close", resolve));
      let start = spool.startAt(parsed.fromMs);
      while (!start && !spool.finished && !res.destroyed) {
        await Promise.race([spool.changed(), closed]);
        start = spool.startAt(parsed.fromMs);
      }
      if (!start) return void res.writeHead(404).end();
      return void res.writeHead(200, { [SPOOL_START_HEADER]: String(start.dts), "cache-control": "no-store" }).end();
    }
    // Fencing: the newest transcode attempt reads; older ones are cut off.
    const mine: Reader = { epoch: parsed.epoch, res };
    const set = readers.get(parsed.partId) ?? new Set<Reader>();
    for (const other of set) {
      if (other.epoch > mine.epoch) return void res.writeHead(409).end("a newer transcode attempt is reading");
    }
    for (const other of set) {
      if (other.epoch < mine.epoch) other.res.destroy();
    }
    set.add(mine);
    readers.set(parsed.partId, set);
    res.on("close", () => {
      set.delete(mine);
      if (set.size === 0 && readers.get(parsed.partId) === set) readers.delete(parsed.partId);
    });

    const closed = new Promise<void>((resolve) => res.once("close", resolve));
    let start = spool.startAt(parsed.fromMs);
    while (!start && !spool.finished && !res.destroyed) {
      await Promise.race([spool.changed(), closed]);
      start = spool.startAt(parsed.fromMs);
    }
    if (res.destroyed) return;
    if (!start) return void res.writeHead(404).end("the spool holds no media");
    res.writeHead(200, { "content-type": "video/x-flv", "cache-control": "no-store", [SPOOL_START_HEADER]: String(start.dts) });
    await streamFrom(spool, start, res, closed);
  }

  server.listen(opts.port, opts.bind, () => log.info("spool reads listening", { url: `http://${opts.bind}:${opts.port}` }));
  server.on("error", (err) => {
    log.error("spool listener failed", { error: String(err) });
    process.exit(1);
  });
  return server;
}

async function streamFrom(spool: PartSpool, start: StartPosition, res: http.ServerResponse, closed: Promise<void>): Promise<void> {
  // Backpressure: a slow reader makes us read the spool slower, never buffer more.
  const write = async (buf: Buffer) => {
    if (!res.write(buf)) await Promise.race([new Promise<void>((resolve) => res.once("drain", resolve)), closed]);
  };
  await write(flvFileHeader(spool.hasAudio, spool.hasVideo));
  if (start.headers) {
    for (const h of [start.headers.metadata, start.headers.video, start.headers.audio]) if (h) await write(retimedTag(h, start.dts));
  }
  let chunkIndex = start.chunk;
  let pos = start.offset;
  let fh: FileHandle | null = null;
  try {
    while (!res.destroyed) {
      const chunk = spool.chunk(chunkIndex);
      if (!chunk) {
        // Trimmed away under us (the spool hit its size limit): end, so the worker
        // resumes from where it listed and sees the gap for what it is.
        if (spool.chunk(chunkIndex + 1) || spool.finished) log.warn("spool read lost its place; ending it", { part: spool.partId });
        res.destroy();
        return;
      }
      if (pos < chunk.flushed) {
        fh ??= await open(chunk.file, "r");
        const buf = Buffer.allocUnsafe(Math.min(READ_BYTES, chunk.flushed - pos));
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
        if (bytesRead === 0) throw new Error("spool file shorter than flushed");
        pos += bytesRead;
        await write(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
        continue;
      }
      if (chunk.sealed && spool.chunk(chunkIndex + 1)) {
        await fh?.close();
        fh = null;
        chunkIndex++;
        pos = 0;
        continue;
      }
      if (spool.finished && chunk.sealed) {
        res.end();
        return;
      }
      await Promise.race([spool.changed(), closed]);
    }
  } finally {
    await fh?.close().catch(() => {});
  }
}
