// The fuzz suite: every attack a stranger can make on the RTMP port, sent with
// our own RTMP client (test/support/rtmpRaw.ts) while a real ffmpeg stream is
// live. The victim keeps listing segments with no media missing, ingest's memory
// stays bounded and it is the same process throughout, and a good publish from
// another address gets in during and after every attack.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, describe, it } from "node:test";
import { db } from "../../lib/db.ts";
import { closeQueues } from "../../lib/queue.ts";
import { closeConnectionsAfter } from "../support/env.ts";
import { RTMP_PORT, getText, liveChannel, parseMedia, publish, rolePids, waitFor, waitForLive } from "../support/live.ts";
import { allocationAttack, hostileAmfAttack, hugeAmfAttack, oddMessagesAttack, trickleAttack, zeroChunkSizeAttack, type AttackResult } from "../support/rtmpAttacks.ts";
import { rtmpAttempt } from "../support/rtmpClient.ts";
import { INGEST } from "../../scripts/roles.ts";

closeConnectionsAfter();
after(() => closeQueues());

/** Resident memory of a process, in MB. */
function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : 0;
}

/** Follows a media playlist and the ingest process's memory until stopped. */
function watchVictim(playlistUrl: string, ingestPid: number) {
  const entries = new Map<number, { uri: string; pdt: number; duration: number }>();
  let maxRss = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        maxRss = Math.max(maxRss, rssMb(ingestPid));
        const pl = parseMedia(await getText(playlistUrl));
        pl.entries.forEach((e, i) => entries.set(pl.mediaSequence + i, { uri: e.uri, pdt: e.pdt!, duration: e.duration }));
      } catch {}
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    get count() {
      return entries.size;
    },
    get maxRss() {
      return maxRss;
    },
    async stop() {
      stopped = true;
      await loop;
      return [...entries.entries()].sort((a, b) => a[0] - b[0]);
    },
  };
}

async function goodPublishAccepted(key: string, localAddress: string): Promise<boolean> {
  const r = await rtmpAttempt("publish", "live", key, { localAddress, waitMs: 1500 });
  return r.started && r.closedAfterMs === null;
}

describe("ingest under attack (the fuzz suite)", () => {
  it("refuses every attack while a live stream keeps listing; ingest stays small and alive; good publishers get in", async () => {
    const victim = await liveChannel();
    const good = await liveChannel();
    const pub = publish(victim.key);
    try {
      const live = await waitForLive(victim.slug);
      const part = await db().livePart.findFirstOrThrow({ where: { sessionId: live.sessionId } });
      const [ingest] = rolePids(INGEST);
      assert.ok(ingest, "ingest process found");
      const watch = watchVictim(new URL(live.hlsUrl.replace("master.m3u8", "360p30/index.m3u8"), process.env.LH_TEST_BASE_URL).toString(), ingest);
      await waitFor("the victim's first segments", async () => watch.count >= 2, 60_000);
      const rssBefore = rssMb(ingest);

      const attacks: [string, (addr: string) => Promise<AttackResult>][] = [
        ["allocation (chunk size 1, 16 MB per chunk stream)", (a) => allocationAttack(RTMP_PORT, a, { connections: 5 })],
        ["a 16 MB AMF message before connect", (a) => hugeAmfAttack(RTMP_PORT, a)],
        ["deep, huge-count and overlong AMF", (a) => hostileAmfAttack(RTMP_PORT, a)],
        ["trickle (60 connections, a byte a second)", (a) => trickleAttack(RTMP_PORT, a, { connections: 60, everyMs: 1000, durationMs: 8000 })],
        ["chunk size 0", (a) => zeroChunkSizeAttack(RTMP_PORT, a)],
        ["truncated, unknown, odd names, other streams' names, plays", (a) => oddMessagesAttack(RTMP_PORT, a, { partId: part.id, sessionId: live.sessionId })],
      ];
      for (const [n, [name, attack]] of attacks.entries()) {
        const before = watch.count;
        const running = attack(`127.0.60.${n + 1}`);
        const duringOk = await goodPublishAccepted(good.key, `127.0.61.${n + 1}`);
        const result = await running;
        assert.equal(result.closed, result.connections, `${name}: ingest closed ${result.closed} of ${result.connections} attacking connections`);
        assert.ok(duringOk, `${name}: a good publish from another address was refused during the attack`);
        assert.ok(await goodPublishAccepted(good.key, `127.0.62.${n + 1}`), `${name}: a good publish was refused after the attack`);
        assert.deepEqual(rolePids(INGEST), [ingest], `${name}: ingest was restarted`);
        await waitFor(`the victim to keep listing after "${name}"`, async () => watch.count >= before + 2, 60_000);
      }

      const listed = await watch.stop();
      const grew = watch.maxRss - rssBefore;
      process.stdout.write(`# ingest RSS ${rssBefore.toFixed(0)} MB before, at most ${watch.maxRss.toFixed(0)} MB under attack\n`);
      assert.ok(grew < 100, `ingest grew by ${grew.toFixed(0)} MB under attack`);
      // No media missing anywhere in what the victim listed during the attacks.
      for (let i = 1; i < listed.length; i++) {
        const [seqA, a] = listed[i - 1];
        const [seqB, b] = listed[i];
        assert.equal(seqB, seqA + 1, `segment ${seqA + 1} never appeared in the playlist`);
        const gap = b.pdt - (a.pdt + a.duration * 1000);
        assert.ok(Math.abs(gap) < 100, `media missing between ${a.uri} and ${b.uri}: ${gap} ms`);
      }
      assert.equal(pub.proc.exitCode, null, "the victim publisher's connection survived");
      const parts = await db().livePart.findMany({ where: { sessionId: live.sessionId } });
      assert.equal(parts.length, 1, "the victim never had to reconnect");
      assert.equal(parts[0].endedAt, null);
      assert.equal(await db().liveSession.count({ where: { channelId: good.channelId } }), 0, "the good probes sent no media, so they opened no session");
    } finally {
      await pub.stop();
    }
  });
});
