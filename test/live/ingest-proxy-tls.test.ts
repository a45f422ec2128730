// Ingest behind a TCP proxy (PROXY protocol v1/v2 from trusted addresses only) and
// RTMPS: limits count against the real client, workers never stop reading, and
// OBS-style publishing over TLS goes live. The test stack trusts 127.0.0.99 as
// its proxy (scripts/stack.ts); every other loopback address is a direct client.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { db } from "../../lib/db.ts";
import { closeQueues } from "../../lib/queue.ts";
import { BASE_URL, closeConnectionsAfter } from "../support/env.ts";
import { getText, liveChannel, parseMedia, publish, waitFor, waitForLive } from "../support/live.ts";
import { rtmpAttempt } from "../support/rtmpClient.ts";

closeConnectionsAfter();
after(() => closeQueues());

const PROXY = "127.0.0.99";

function proxyV1(client: string, port = 40000): Buffer {
  return Buffer.from(`PROXY TCP4 ${client} 127.0.0.1 ${port} 1935\r\n`);
}

function proxyV2(client: string, port = 40000): Buffer {
  const sig = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
  const body = Buffer.alloc(12);
  client.split(".").forEach((o, i) => (body[i] = Number(o)));
  [127, 0, 0, 1].forEach((o, i) => (body[4 + i] = o));
  body.writeUInt16BE(port, 8);
  body.writeUInt16BE(1935, 10);
  return Buffer.concat([sig, Buffer.from([0x21, 0x11, 0x00, 12]), body]);
}

const accepted = (r: { started: boolean; closedAfterMs: number | null }) => r.started && r.closedAfterMs === null;

async function segmentsAfter(playlist: string, count: number): Promise<void> {
  const pl = parseMedia(await getText(playlist));
  const start = pl.mediaSequence + pl.entries.length;
  await waitFor(`${count} more segments`, async () => {
    const now = parseMedia(await getText(playlist));
    return now.mediaSequence + now.entries.length >= start + count;
  }, 60_000);
}

describe("ingest behind a proxy, and over TLS", () => {
  it("bad keys through the proxy block only the address in its header; others behind it, direct clients and workers go on", async () => {
    const victim = await liveChannel();
    const good = await liveChannel();
    const pub = publish(victim.key); // a direct client on 127.0.0.1
    try {
      const live = await waitForLive(victim.slug);
      const playlist = live.hlsUrl.replace("master.m3u8", "360p30/index.m3u8");
      const attacker = "127.0.90.7";
      for (let i = 0; i < 12; i++) {
        const header = i % 2 ? proxyV2(attacker, 41000 + i) : proxyV1(attacker, 41000 + i);
        await rtmpAttempt("publish", "live", "lh_live_" + String(i).padStart(32, "y"), { localAddress: PROXY, proxyHeader: header, waitMs: 800 });
      }
      // The attacker's address (from the header) is refused even with a good key, on v1 and v2 alike.
      assert.ok(!accepted(await rtmpAttempt("publish", "live", good.key, { localAddress: PROXY, proxyHeader: proxyV1(attacker), waitMs: 1500 })), "v1: attacker let in");
      assert.ok(!accepted(await rtmpAttempt("publish", "live", good.key, { localAddress: PROXY, proxyHeader: proxyV2(attacker), waitMs: 1500 })), "v2: attacker let in");
      // Another client behind the same proxy is not.
      assert.ok(accepted(await rtmpAttempt("publish", "live", good.key, { localAddress: PROXY, proxyHeader: proxyV2("127.0.90.8"), waitMs: 1500 })), "a neighbour behind the proxy was refused");
      // A trusted proxy must send its header: without one, the connection is refused.
      assert.ok(!accepted(await rtmpAttempt("publish", "live", good.key, { localAddress: PROXY, waitMs: 1500 })), "the proxy's own connection without a header was let in");
      // An untrusted client cannot choose its address with a header of its own: its bytes are not RTMP.
      assert.ok(!accepted(await rtmpAttempt("publish", "live", good.key, { localAddress: "127.0.90.20", proxyHeader: proxyV1("127.0.90.21"), waitMs: 1500 })), "a forged header was honoured");
      assert.ok(accepted(await rtmpAttempt("publish", "live", good.key, { localAddress: "127.0.90.21", waitMs: 1500 })), "the forged address was blocked");
      // The victim is a direct client of the proxy's host, and its transcode reads by token: neither is affected.
      await segmentsAfter(playlist, 3);
      assert.equal(pub.proc.exitCode, null);
      assert.equal((await db().livePart.count({ where: { sessionId: live.sessionId } })), 1);
    } finally {
      await pub.stop();
    }
  });

  it("an OBS-style publish over RTMPS (certificate not checked) goes live, and the dashboard offers the RTMPS URL", async () => {
    const ch = await liveChannel();
    const pub = publish(ch.key, { base: `rtmps://127.0.0.1:${process.env.RTMPS_PORT}` });
    try {
      const live = await waitForLive(ch.slug, 60_000);
      await segmentsAfter(live.hlsUrl.replace("master.m3u8", "360p30/index.m3u8"), 2);
    } finally {
      await pub.stop();
    }
    const html = await (await fetch(new URL("/dashboard", BASE_URL), { headers: { cookie: ch.owner.cookie } })).text();
    assert.ok(html.includes(`rtmps://127.0.0.1:${process.env.RTMPS_PORT}/live`), "the dashboard shows the RTMPS server URL");
    assert.ok(html.includes(`rtmp://127.0.0.1:${process.env.RTMP_PORT}/live`), "and the RTMP one");
  });
});
