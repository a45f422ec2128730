// Garbage on the RTMP port while a stream is live: ingest survives and the stream keeps going.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import net from "node:net";
import { after, describe, it } from "node:test";
import { closeQueues } from "../../lib/queue.ts";
import { db } from "../../lib/db.ts";
import { closeConnectionsAfter } from "../support/env.ts";
import { RTMP_PORT, getText, liveChannel, parseMedia, publish, waitFor, waitForLive } from "../support/live.ts";
import { rtmpAttempt } from "../support/rtmpClient.ts";

closeConnectionsAfter();
after(() => closeQueues());

function connect(localAddress: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: "127.0.0.1", port: RTMP_PORT, localAddress }, () => resolve(s));
    s.on("error", reject);
  });
}

async function lastSequence(url: string): Promise<number> {
  const pl = parseMedia(await getText(url));
  return pl.mediaSequence + pl.entries.length;
}

describe("RTMP port under garbage", () => {
  it("random bytes, truncated handshakes, malformed commands and 1000 half-open connections do not disturb a live stream", async () => {
    const ch = await liveChannel();
    const pub = publish(ch.key);
    const sockets: net.Socket[] = [];
    try {
      const live = await waitForLive(ch.slug);
      const playlist = live.hlsUrl.replace("master.m3u8", "360p30/index.m3u8");

      // 1000 connections that never say anything, spread over several source addresses.
      for (let i = 0; i < 1000; i++) {
        sockets.push(await connect(`127.0.${30 + (i % 4)}.${1 + (i % 200)}`).catch(() => null as any));
      }
      const open = sockets.filter(Boolean);
      assert.ok(open.length >= 990, `only ${open.length} connections opened`);
      // Random bytes, and truncated handshakes (C0 plus half a C1).
      for (let i = 0; i < 100; i++) {
        const s = await connect("127.0.40.1").catch(() => null);
        if (!s) continue;
        s.on("error", () => {});
        s.end(i % 2 ? randomBytes(1 + (i * 37) % 5000) : Buffer.concat([Buffer.from([3]), randomBytes(700)]));
      }
      // A well-formed handshake followed by a connect command with a broken tcUrl:
      // node-media-server parses it with new URL(), which throws.
      const malformed = await rtmpAttempt("publish", "live", "x", { tcUrl: "not a url", localAddress: "127.0.40.2", waitMs: 1000 });
      assert.notEqual(malformed.closedAfterMs, null, "malformed command closes the connection");

      // The stream keeps producing segments after all that: same publisher connection, same part,
      // and no media missing in between (how fast is the benchmarks' business, not this test's).
      const before = await lastSequence(playlist);
      await waitFor("segments to keep coming", async () => (await lastSequence(playlist)) >= before + 3, 60_000, 250);
      const listed = parseMedia(await getText(playlist)).entries;
      for (let i = 1; i < listed.length; i++) {
        const gap = listed[i].pdt! - (listed[i - 1].pdt! + listed[i - 1].duration * 1000);
        assert.ok(Math.abs(gap) < 100, `media missing between ${listed[i - 1].uri} and ${listed[i].uri}: ${gap} ms`);
      }
      assert.equal((await fetch(new URL("/api/health", process.env.LH_TEST_BASE_URL))).status, 200);
      assert.equal(pub.proc.exitCode, null, "the publisher's connection survived");
      const parts = await db().livePart.findMany({ where: { sessionId: live.sessionId } });
      assert.equal(parts.length, 1, "no reconnect happened");
      assert.equal(parts[0].endedAt, null);

      // Idle connections are dropped: they send nothing (the minimum byte rate) and never publish (the deadline).
      const closed = await waitFor("half-open connections to be closed", async () => {
        const n = open.filter((s) => s.destroyed || s.readableEnded).length;
        return n >= open.length - 5 ? n : null;
      }, 60_000);
      assert.ok(closed >= open.length - 5);

      // And ingest still takes new publishers.
      const second = await liveChannel();
      const pub2 = publish(second.key);
      try {
        await waitForLive(second.slug);
      } finally {
        await pub2.stop();
      }
    } finally {
      for (const s of sockets) s?.destroy();
      await pub.stop();
    }
  });
});
