// A live session's statistics end to end: a real publish with a reconnect, viewers
// that join and leave at known points (headless clients heartbeating as the channel
// page does, each from its own loopback address, and one real Chromium page), chat
// from a Matrix guest; then the figures, the sample series, the graph in the
// dashboard, that no viewer's address or id is left in PostgreSQL or Redis, and that
// the statistics go with the replay and with the channel.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, describe, it } from "node:test";
import { Redis } from "ioredis";
import { deleteChannel } from "../../lib/channels.ts";
import { config } from "../../lib/config.ts";
import { db } from "../../lib/db.ts";
import { sampleLiveSessions, SAMPLE_MIN_GAP_SECONDS } from "../../lib/stats/sessionStats.ts";
import { countViewer } from "../../lib/viewers.ts";
import { closeBrowserAfter, newPage, pageAs, screenshot } from "../support/browser.ts";
import { closeConnectionsAfter } from "../support/env.ts";
import { makeChannel, makeUser } from "../support/fixtures.ts";
import { api, request } from "../support/http.ts";
import { RTMP_BASE, endStream, liveChannel, liveStatus, waitFor, waitForLive } from "../support/live.ts";
import { channelRoom, guestUser, join, say } from "../support/matrix.ts";
import { cachedSource, publishFile } from "../support/media.ts";

closeConnectionsAfter();
closeBrowserAfter();

/** A viewer without a browser: the channel page's heartbeat (GET /api/live/<slug>?viewer=<id> every 3 s) and its playlist fetch. */
class HeadlessViewer {
  readonly id = randomBytes(9).toString("base64url");
  private timer: ReturnType<typeof setInterval> | undefined;
  constructor(readonly slug: string, readonly address: string) {}

  async start(): Promise<void> {
    const beat = async () => {
      const res = await request("GET", `/api/live/${this.slug}?viewer=${this.id}`, { localAddress: this.address });
      return res.json<{ hlsUrl?: string }>();
    };
    const first = await beat();
    if (first.hlsUrl) await request("GET", first.hlsUrl, { localAddress: this.address });
    this.timer = setInterval(() => void beat().catch(() => {}), 3000);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

const viewers: HeadlessViewer[] = [];
after(() => viewers.forEach((v) => v.stop()));

describe("session statistics", () => {
  it("counts peak, unique, chat and a reconnect of a real session, graphs them, keeps no viewer's address, and goes with the replay", async () => {
    const ch = await liveChannel({ graceMinutes: "1" });
    const owner = ch.owner;
    const roomId = await channelRoom(ch.channelId, 60_000);
    const guest = await guestUser("Stats chatter");
    await join(guest, roomId);
    // Said before the stream: counted for the channel, not for the session.
    await say(guest, roomId, "anyone here before the stream?");
    await waitFor("the appservice to count the early message", async () => (await db().channel.findUniqueOrThrow({ where: { id: ch.channelId } })).chatMessageCount >= 1, 60_000, 250);

    const source = await cachedSource({ width: 640, height: 360, fps: 30, seconds: 240, audio: { sampleRate: 48000, channels: 2 } });
    let pub = publishFile(source, `${RTMP_BASE}/live/${ch.key}`);
    const { sessionId } = await waitForLive(ch.slug, 90_000);
    assert.ok(await db().sessionStats.findUnique({ where: { sessionId } }), "the statistics row is made with the session");

    const ownerViewers = async () => (await api("GET", `/api/channels/${ch.channelId}/live`, { cookie: owner.cookie })).json<{ viewers?: number }>().viewers ?? 0;
    const waitViewers = (n: number) => waitFor(`${n} concurrent viewers`, async () => (await ownerViewers()) === n, 90_000, 500);
    const headless = (i: number) => {
      const v = new HeadlessViewer(ch.slug, `127.77.13.${i}`);
      viewers.push(v);
      return v;
    };

    // 1. A real page and three headless viewers.
    const { page: watcher, context: watcherContext } = await newPage();
    await watcherContext.addInitScript(`localStorage.setItem("lh-latency", "standard")`);
    await watcher.goto(`/c/${ch.slug}`);
    await watcher.getByTestId("viewer-count").waitFor({ timeout: 60_000 });
    const pageViewerId = await watcher.evaluate(() => sessionStorage.getItem("lh-viewer"));
    assert.ok(pageViewerId, "the page made a viewer id");
    const [v1, v2, v3, v4, v5, v6] = [1, 2, 3, 4, 5, 6].map(headless);
    for (const v of [v1, v2, v3]) await v.start();
    await waitViewers(4);

    // 2. Two more: six at once, the peak. Held until the sweep has sampled it.
    for (const v of [v4, v5]) await v.start();
    await waitViewers(6);
    await waitFor("a sample of the six", async () => (await db().sessionStats.findUniqueOrThrow({ where: { sessionId } })).sampleViewers.includes(6), 90_000, 500);

    // Samplers running at once (two workers' sweeps and two more here) add at most one sample per period.
    await Promise.all([sampleLiveSessions(), sampleLiveSessions()]);

    for (let i = 1; i <= 3; i++) await say(guest, roomId, `message ${i} during the stream`);
    await waitFor("three chat messages counted for the session", async () => (await db().sessionStats.findUniqueOrThrow({ where: { sessionId } })).chatMessages === 3, 60_000, 250);

    // 3. Three leave; the publisher drops and comes back within the window.
    for (const v of [v1, v2, v3]) v.stop();
    await pub.stop();
    await waitFor("reconnecting", async () => (await liveStatus(ch.slug)).status === "reconnecting", 60_000, 250);
    pub = publishFile(source, `${RTMP_BASE}/live/${ch.key}`);
    await waitFor("live again", async () => (await liveStatus(ch.slug)).status === "live" && (await db().livePart.count({ where: { sessionId } })) === 2, 90_000, 250);
    await waitViewers(3);

    // 4. A sixth headless viewer (seventh in all) joins: four at once.
    await v6.start();
    await waitViewers(4);

    // The owner's live panel: the graph and the figures so far.
    const { page: dash } = await pageAs(owner);
    await dash.goto("/dashboard");
    const livePanel = dash.getByTestId("live-stats");
    await livePanel.getByTestId("viewer-graph").waitFor({ timeout: 30_000 });
    assert.ok(Number(await livePanel.getByTestId("viewer-graph").getAttribute("data-points")) >= 2, "points on the live graph");
    await waitFor("the live figures", async () =>
      (await livePanel.getByTestId("stats-peak").innerText()).startsWith("6") &&
      (await livePanel.getByTestId("stats-unique").innerText()) === "7" &&
      (await livePanel.getByTestId("stats-chat").innerText()) === "3", 30_000, 500);
    await screenshot(dash, "stats-live-panel");

    // 5. End stream; everyone leaves.
    assert.equal((await endStream(owner, sessionId)).status, 200);
    v4.stop();
    v5.stop();
    v6.stop();
    await watcher.close();
    await pub.stop();

    const finalized = await waitFor("the statistics to be closed and the viewer state dropped", async () => {
      const s = await db().sessionStats.findUniqueOrThrow({ where: { sessionId } });
      return s.closedAt && s.finalizedAt ? s : null;
    }, 180_000, 500);
    const replay = await waitFor("the replay", () => db().replay.findUnique({ where: { sessionId } }), 120_000, 500);

    // The figures, through the owner API.
    const res = await api("GET", `/api/live-sessions/${sessionId}/stats`, { cookie: owner.cookie });
    assert.equal(res.status, 200);
    const stats = res.json();
    assert.equal(stats.counting, false);
    assert.equal(stats.peakViewers, 6, "peak = the most at once");
    assert.equal(stats.uniqueViewers, 7, "unique = six headless viewers and the page");
    assert.equal(stats.chatMessages, 3, "messages during the session only");
    assert.equal(stats.reconnects, 1);
    assert.ok(stats.incidents.some((i: any) => i.kind === "reconnect" && i.seconds >= 0), "the reconnect is an incident");
    assert.ok(stats.averageBitrateKbps > 100, `average bitrate ${stats.averageBitrateKbps} kbps`);
    assert.equal(stats.sampleCount, stats.samples.length, "the owner API gives every sample");
    assert.equal(Math.max(...stats.samples.map((s: any) => s.viewers)), stats.peakViewers, "the series' highest sample is the peak");
    assert.ok(stats.averageViewers > 0 && stats.averageViewers < 6, `average ${stats.averageViewers}`);
    assert.equal(finalized.sampleOffsets.length, finalized.sampleViewers.length, "one offset per count");
    for (let i = 1; i < finalized.sampleOffsets.length; i++) {
      assert.ok(finalized.sampleOffsets[i] - finalized.sampleOffsets[i - 1] >= SAMPLE_MIN_GAP_SECONDS, `samples ${i - 1} and ${i} are ${finalized.sampleOffsets[i] - finalized.sampleOffsets[i - 1]} s apart: sampled twice`);
    }
    // One sample per sweep; a busy machine may delay some, but not half of them.
    assert.ok(finalized.sampleOffsets.length >= Math.floor(stats.durationSeconds / 30), `${finalized.sampleOffsets.length} samples over ${stats.durationSeconds} s`);

    // Owner only.
    const stranger = await makeUser("stranger");
    assert.equal((await api("GET", `/api/live-sessions/${sessionId}/stats`, { cookie: stranger.cookie })).status, 404);
    assert.equal((await api("GET", `/api/live-sessions/${sessionId}/stats`)).status, 401);
    assert.equal((await api("GET", "/api/live-sessions/not-a-uuid/stats", { cookie: owner.cookie })).status, 404);
    assert.equal((await api("GET", `/api/channels/${ch.channelId}/replays`, { cookie: stranger.cookie })).status, 404);

    // The replays list carries them, the graph downsampled.
    const listed = (await api("GET", `/api/channels/${ch.channelId}/replays`, { cookie: owner.cookie })).json().replays.find((r: any) => r.id === replay.id);
    assert.equal(listed.stats.peakViewers, 6);
    assert.ok(listed.stats.samples.length >= 2 && listed.stats.samples.length <= 120);

    // Nothing holds a viewer's address or id any more: every key and value of this stack in
    // Redis, and every row of every table in PostgreSQL.
    // A WebRTC player the edge has not closed yet heartbeats after the end: it starts nothing new.
    const late = { id: "late-viewer-0042", address: "127.77.13.42" };
    await countViewer(sessionId, late.id, late.address);
    const needles = [
      ...[...viewers, late].flatMap((v) => [v.address, v.id, createHash("sha256").update(`${sessionId}|${v.address}`).digest("hex").slice(0, 16)]),
      pageViewerId!,
    ];
    const raw = new Redis(config.redisUrl);
    try {
      let cursor = "0";
      let scanned = 0;
      do {
        const [next, keys] = await raw.scan(cursor, "MATCH", `${config.redisPrefix}*`, "COUNT", 1000);
        cursor = next;
        for (const key of keys) {
          scanned++;
          if (key === `${config.redisPrefix}viewers:${sessionId}:closed`) {
            // The one key left: a mark that counting is closed, so a late heartbeat cannot start a new salt.
            assert.equal(await raw.get(key), "1");
            assert.ok((await raw.pttl(key)) > 0, "the mark expires");
            continue;
          }
          assert.ok(!key.includes(`viewers:${sessionId}`), `${key} is left after the session`);
          const type = await raw.type(key);
          const parts: (string | Buffer)[] = [key];
          if (type === "string") parts.push((await raw.getBuffer(key)) ?? "");
          else if (type === "hash") parts.push(...Object.entries(await raw.hgetall(key)).flat());
          else if (type === "zset") for (const m of await raw.zrange(key, "0", "-1")) parts.push(String(m));
          else if (type === "set") parts.push(...(await raw.smembers(key)));
          else if (type === "list") parts.push(...(await raw.lrange(key, 0, -1)));
          else if (type === "stream") parts.push(...(await raw.xrange(key, "-", "+")).flatMap(([id, fields]) => [id, ...fields]));
          const text = parts.map((p) => (typeof p === "string" ? p : p.toString("latin1"))).join("\n");
          for (const n of needles) assert.ok(!text.includes(n), `Redis key ${key} holds ${n}`);
        }
      } while (cursor !== "0");
      assert.ok(scanned > 10, `${scanned} Redis keys scanned`);
    } finally {
      raw.disconnect();
    }
    const tables = await db().$queryRawUnsafe<{ tablename: string }[]>(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`);
    assert.ok(tables.some((t) => t.tablename === "session_stats"));
    for (const { tablename } of tables) {
      const rows = await db().$queryRawUnsafe<{ row: string }[]>(`SELECT t::text AS row FROM "${tablename}" t`);
      for (const { row } of rows) for (const n of needles) assert.ok(!row.includes(n), `table ${tablename} holds ${n}`);
    }

    // The dashboard's replay view: the graph with one point per sample it was given, and the figures.
    await dash.reload();
    const row = dash.getByTestId("replay-row").filter({ has: dash.getByText(replay.title) });
    await row.getByTestId("replay-stats").locator("summary").click();
    const graph = row.getByTestId("viewer-graph");
    await graph.waitFor({ timeout: 30_000 });
    assert.equal(Number(await graph.getAttribute("data-points")), listed.stats.samples.length);
    const d = (await row.getByTestId("viewer-graph-line").getAttribute("d")) ?? "";
    assert.equal((d.match(/[ML]/g) ?? []).length, listed.stats.samples.length, "one M or L per point");
    assert.equal(await graph.getAttribute("role"), "img");
    assert.match(await graph.locator("desc").textContent() ?? "", /peak 6 concurrent viewers/);
    assert.match(await row.getByTestId("stats-peak").innerText(), /^6/);
    assert.equal(await row.getByTestId("stats-unique").innerText(), "7");
    assert.equal(await row.getByTestId("stats-chat").innerText(), "3");
    assert.deepEqual(await row.getByTestId("stats-incident").evaluateAll((els) => els.map((e) => e.getAttribute("data-kind"))).then((k) => k.filter((x) => x === "reconnect")), ["reconnect"]);
    assert.match(await row.getByTestId("stats-incidents").innerText(), /Publisher reconnected at \d+:\d\d, after \d+:\d\d away/);
    await screenshot(dash, "stats-replay");

    // Deleting the replay deletes its statistics.
    assert.equal((await api("DELETE", `/api/replays/${replay.id}`, { cookie: owner.cookie })).status, 204);
    assert.equal(await db().sessionStats.count({ where: { sessionId } }), 0);
    assert.equal((await api("GET", `/api/live-sessions/${sessionId}/stats`, { cookie: owner.cookie })).status, 404);
  });

  it("shows a helpful empty state, and deleting a channel deletes its sessions' statistics", async () => {
    const owner = await makeUser("quiet");
    const c = await makeChannel(owner);
    const session = await db().liveSession.create({ data: { channelId: c.id, status: "ended", ladder: "360p30@800k", segmentSeconds: 2, endedAt: new Date() } });
    await db().sessionStats.create({ data: { sessionId: session.id, sampleOffsets: [0, 15, 30], sampleViewers: [0, 0, 0], closedAt: new Date() } });
    await db().replay.create({ data: { sessionId: session.id, channelId: c.id, title: "Nobody came", durationSeconds: 30 } });

    const { page } = await pageAs(owner);
    await page.goto("/dashboard");
    const row = page.getByTestId("replay-row").filter({ has: page.getByText("Nobody came") });
    await row.getByTestId("replay-stats").locator("summary").click();
    await row.getByTestId("viewer-graph-empty").waitFor();
    assert.match(await row.getByTestId("viewer-graph-empty").innerText(), /No viewers yet/);
    assert.equal(await row.getByTestId("viewer-graph").count(), 0);
    assert.match(await row.getByTestId("stats-incidents").innerText(), /^No incidents/);
    assert.equal(await row.getByTestId("stats-incident").count(), 0);

    await deleteChannel(owner.id, c.id);
    assert.equal(await db().sessionStats.count({ where: { sessionId: session.id } }), 0);
  });
});
