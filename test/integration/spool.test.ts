// The spool between ingest and workers, with real files, real HTTP and a real
// ffmpeg reader: nothing a publisher sent is lost to a slow, late or restarted
// reader, reads resume at a keyframe, and only the newest epoch reads.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import type { NmsPacket } from "../../ingest/nms.ts";
import { scanTags } from "../../ingest/flvTags.ts";
import { SpoolRegistry } from "../../ingest/spoolRegistry.ts";
import { startSpoolServer } from "../../ingest/spoolServer.ts";
import { internalSecret } from "../../lib/internalAuth.ts";
import { SPOOL_START_HEADER, spoolReadUrl } from "../../lib/spool.ts";
import { closeConnectionsAfter } from "../support/env.ts";

closeConnectionsAfter();
const run = promisify(execFile);
const require = createRequire(import.meta.url);
const Flv = require("node-media-server/src/protocol/flv.js");

const dir = mkdtempSync(path.join(os.tmpdir(), "lh-spool-test-"));
const source = path.join(dir, "source.flv");
let packets: NmsPacket[] = [];
let server: http.Server;
let registry: SpoolRegistry;

/** The publisher's messages, as NMS hands them to ingest. */
function parseFlv(file: string): NmsPacket[] {
  const out: NmsPacket[] = [];
  const parser = new Flv();
  parser.onPacketCallback = (p: NmsPacket) => out.push({ ...p, data: Buffer.from(p.data.subarray(0, p.size)) });
  assert.equal(parser.parserData(readFileSync(file)), null);
  return out;
}

async function videoPackets(input: string, extra: string[] = []): Promise<number[]> {
  const { stdout } = await run("ffprobe", ["-v", "error", ...extra, "-select_streams", "v", "-show_entries", "packet=pts_time", "-of", "csv=p=0", input], { maxBuffer: 16 << 20 });
  return stdout.trim().split("\n").filter(Boolean).map(Number);
}

async function feed(partId: string, pace: number): Promise<void> {
  const spool = registry.create(partId);
  const t0 = Date.now();
  for (const p of packets) {
    const due = t0 + p.dts / pace - Date.now();
    if (due > 0) await new Promise((r) => setTimeout(r, due));
    spool.append(p);
  }
  await spool.finish();
}

function get(url: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer; res: http.IncomingMessage }> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks), res }));
      res.on("error", reject);
    }).on("error", reject);
  });
}

before(async () => {
  // 6 s, a keyframe every second, audio too: what an encoder sends.
  await run("ffmpeg", [
    "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", "-f", "lavfi", "-i", "sine=sample_rate=48000",
    "-t", "6", "-c:v", "libx264", "-preset", "ultrafast", "-g", "30", "-c:a", "aac", "-f", "flv", source,
  ]);
  packets = parseFlv(source);
  registry = new SpoolRegistry(path.join(dir, "spool"), { chunkBytes: 64 << 10 });
  server = startSpoolServer({ port: 0, bind: "127.0.0.1", secret: await internalSecret(), spools: registry });
  await new Promise((r) => server.once("listening", r));
  process.env.INGEST_INTERNAL_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("spool", () => {
  it("a reader that starts before the publisher and reads while it publishes gets every frame, and the read ends when the publisher leaves", async () => {
    const partId = randomUUID();
    const publishing = feed(partId, 3);
    await new Promise((r) => setTimeout(r, 100));
    const out = path.join(dir, "live.flv");
    await run("ffmpeg", ["-v", "error", "-y", "-f", "flv", "-i", await spoolReadUrl({ id: partId, ingestUrl: null }, 1), "-c", "copy", out]);
    await publishing;
    assert.deepEqual(await videoPackets(out), await videoPackets(source));
    assert.ok(readdirSync(path.join(dir, "spool", partId)).filter((f) => f.endsWith(".flv") && f !== "headers.flv").length > 3, "split into several files");
  });

  it("a slow reader loses nothing, and a late one reads from the start", async () => {
    const partId = randomUUID();
    await feed(partId, 20);
    const url = await spoolReadUrl({ id: partId, ingestUrl: null }, 1);
    const slow = await new Promise<Buffer>((resolve, reject) => {
      http.get(url, (res) => {
        const chunks: Buffer[] = [];
        res.pause();
        setTimeout(() => res.resume(), 1500); // a reader busier than the publisher
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve(Buffer.concat(chunks)));
      }).on("error", reject);
    });
    const tags = scanTags(slow.subarray(13));
    assert.equal(tags.filter((t) => t.type === 9 && !t.codecHeader).length, packets.filter((p) => p.codec_type === 9 && p.flags !== 2).length);
    assert.equal(tags.filter((t) => t.type === 8 && !t.codecHeader).length, packets.filter((p) => p.codec_type === 8 && p.flags !== 0).length);
  });

  it("resumes at the last keyframe at or before the asked position, with the codec headers first", async () => {
    const partId = randomUUID();
    await feed(partId, 20);
    const from = 3500;
    const res = await get(await spoolReadUrl({ id: partId, ingestUrl: null }, 1, from));
    assert.equal(res.status, 200);
    const start = Number(res.headers[SPOOL_START_HEADER]);
    const keyframes = packets.filter((p) => p.flags === 3).map((p) => p.dts);
    assert.equal(start, Math.max(...keyframes.filter((k) => k <= from)));
    const file = path.join(dir, "resumed.flv");
    writeFileSync(file, res.body);
    const pts = await videoPackets(file);
    assert.equal(pts[0], start / 1000, "first frame is the keyframe");
    assert.deepEqual(pts, (await videoPackets(source)).filter((t) => t >= start / 1000));
  });

  it("survives an ingest restart: a new process serves what the old one spooled", async () => {
    const partId = randomUUID();
    await feed(partId, 20);
    const restarted = new SpoolRegistry(path.join(dir, "spool"));
    const spool = await restarted.get(partId);
    assert.ok(spool?.finished);
    assert.equal(spool!.lastDts, packets.filter((p) => p.codec_type === 9 || p.codec_type === 8).at(-1)!.dts);
    const keyframes = packets.filter((p) => p.flags === 3).map((p) => p.dts);
    assert.equal(spool!.startAt(2500)!.dts, Math.max(...keyframes.filter((k) => k <= 2500)));
    const second = startSpoolServer({ port: 0, bind: "127.0.0.1", secret: await internalSecret(), spools: restarted });
    await new Promise((r) => second.once("listening", r));
    try {
      const url = new URL(await spoolReadUrl({ id: partId, ingestUrl: null }, 1));
      url.port = String((second.address() as AddressInfo).port);
      const out = path.join(dir, "recovered.flv");
      await run("ffmpeg", ["-v", "error", "-y", "-f", "flv", "-i", url.toString(), "-c", "copy", out]);
      assert.deepEqual(await videoPackets(out), await videoPackets(source));
    } finally {
      second.close();
    }
  });

  it("refuses bad tokens and unknown parts; a newer epoch cuts the older reader and refuses it afterwards", async () => {
    const partId = randomUUID();
    const publishing = feed(partId, 1); // real time: the reads stay open
    const good = new URL(await spoolReadUrl({ id: partId, ingestUrl: null }, 5));
    good.searchParams.set("t", "0".repeat(64));
    assert.equal((await get(good.toString())).status, 403);
    assert.equal((await get(await spoolReadUrl({ id: randomUUID(), ingestUrl: null }, 1))).status, 404);

    const older = get(await spoolReadUrl({ id: partId, ingestUrl: null }, 5)).catch((err) => ({ status: -1, error: err }));
    await new Promise((r) => setTimeout(r, 300));
    const newerUrl = await spoolReadUrl({ id: partId, ingestUrl: null }, 6);
    const newerReq = await new Promise<http.IncomingMessage>((resolve) => http.get(newerUrl, resolve));
    assert.equal(newerReq.statusCode, 200);
    const cut = await older;
    assert.ok(cut.status === -1 || "res" in cut, "the older read ended");
    assert.equal((await get(await spoolReadUrl({ id: partId, ingestUrl: null }, 5))).status, 409);
    newerReq.destroy();
    await publishing;
  });
});
