// Replay rename and delete: owner only, same-origin only, and delete removes the files.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { deleteChannel } from "../../lib/channels.ts";
import { db } from "../../lib/db.ts";
import { closeConnectionsAfter } from "../support/env.ts";
import { makeChannel, makeUser } from "../support/fixtures.ts";
import { waitFor } from "../support/live.ts";
import { api, request } from "../support/http.ts";

closeConnectionsAfter();

async function makeReplay(ownerId: string, channelId: string) {
  const session = await db().liveSession.create({ data: { channelId, status: "ended", ladder: "360p30@800k", segmentSeconds: 1, endedAt: new Date() } });
  const dir = path.join(process.env.MEDIA_DIR!, "live", session.id);
  mkdirSync(path.join(dir, "360p30"), { recursive: true });
  writeFileSync(path.join(dir, "vod.m3u8"), "#EXTM3U\n");
  writeFileSync(path.join(dir, "360p30", "p0e1-000000.ts"), Buffer.alloc(188, 0x47));
  writeFileSync(path.join(dir, "replay.mp4"), Buffer.alloc(64));
  writeFileSync(path.join(dir, "poster.jpg"), Buffer.alloc(64));
  mkdirSync(path.join(dir, "thumbs"), { recursive: true });
  writeFileSync(path.join(dir, "thumbs", "0001.jpg"), Buffer.alloc(64));
  const replay = await db().replay.create({ data: { sessionId: session.id, channelId, title: "Original", durationSeconds: 1 } });
  void ownerId;
  return { replay, dir };
}

describe("replay API", () => {
  it("the owner renames and deletes; the files go with it", async () => {
    const a = await makeUser("a");
    const c = await makeChannel(a);
    const { replay, dir } = await makeReplay(a.id, c.id);
    const renamed = await api("PATCH", `/api/replays/${replay.id}`, { cookie: a.cookie, body: { title: "  Friday stream  " } });
    assert.equal(renamed.status, 200);
    assert.equal(renamed.json().title, "Friday stream");
    assert.equal((await api("PATCH", `/api/replays/${replay.id}`, { cookie: a.cookie, body: { title: " " } })).status, 422);
    assert.equal((await api("PATCH", `/api/replays/${replay.id}`, { cookie: a.cookie, body: { title: "x".repeat(101) } })).status, 422);
    const list = await api("GET", `/api/channels/${c.id}/replays`, { cookie: a.cookie });
    assert.deepEqual(list.json().replays.map((r: any) => r.title), ["Friday stream"]);
    assert.equal((await request("GET", `/hls/live/${replay.sessionId}/vod.m3u8`)).status, 200);
    assert.equal((await api("DELETE", `/api/replays/${replay.id}`, { cookie: a.cookie })).status, 204);
    assert.equal(await db().replay.count({ where: { id: replay.id } }), 0);
    assert.equal(existsSync(dir), false, "files removed");
    assert.equal((await request("GET", `/hls/live/${replay.sessionId}/vod.m3u8`)).status, 404);
  });

  it("deleting a channel takes its media off the web at once and off the disk in the background", async () => {
    const a = await makeUser("a");
    const c = await makeChannel(a);
    const made = [await makeReplay(a.id, c.id), await makeReplay(a.id, c.id)];
    const urls = made.flatMap(({ replay }) =>
      ["vod.m3u8", "360p30/p0e1-000000.ts", "replay.mp4", "poster.jpg", "thumbs/0001.jpg"].map((f) => `/hls/live/${replay.sessionId}/${f}`),
    );
    for (const u of urls) assert.equal((await request("GET", u)).status, 200, u);
    await deleteChannel(a.id, c.id);
    // The web answers from the rows (cached for a few seconds at most).
    await waitFor("every URL of the deleted channel to be gone", async () => {
      for (const u of urls) if ((await request("GET", u)).status !== 404) return false;
      return true;
    }, 30_000);
    await waitFor("the worker to remove the files", async () => made.every(({ dir }) => !existsSync(dir)), 60_000);
  });

  it("user B can neither list, rename nor delete user A's replays; cross-origin is refused", async () => {
    const a = await makeUser("a");
    const b = await makeUser("b");
    const c = await makeChannel(a);
    const { replay, dir } = await makeReplay(a.id, c.id);
    assert.equal((await api("GET", `/api/channels/${c.id}/replays`, { cookie: b.cookie })).status, 404);
    assert.equal((await api("PATCH", `/api/replays/${replay.id}`, { cookie: b.cookie, body: { title: "pwned" } })).status, 404);
    assert.equal((await api("DELETE", `/api/replays/${replay.id}`, { cookie: b.cookie })).status, 404);
    assert.equal((await api("DELETE", `/api/replays/${replay.id}`, { cookie: a.cookie, origin: "http://evil.example" })).status, 403);
    assert.equal((await api("DELETE", `/api/replays/${replay.id}`, { cookie: a.cookie, origin: null })).status, 403);
    assert.equal((await db().replay.findUniqueOrThrow({ where: { id: replay.id } })).title, "Original");
    assert.ok(existsSync(dir));
  });

  it("the channel page lists replays; a replay page of another channel's slug is 404", async () => {
    const a = await makeUser("a");
    const c = await makeChannel(a, "Replay channel");
    const other = await makeChannel(a, "Other");
    const { replay } = await makeReplay(a.id, c.id);
    const page = await request("GET", `/c/${c.slug}`);
    assert.ok(page.text.includes("Original"));
    assert.equal((await request("GET", `/c/${c.slug}/replays/${replay.id}`)).status, 200);
    assert.equal((await request("GET", `/c/${other.slug}/replays/${replay.id}`)).status, 404);
    assert.equal((await request("GET", `/c/${c.slug}/replays/not-a-uuid`)).status, 404);
  });
});
