// LIVEHOUSE_ONE_PROCESS=1: web, ingest, worker and appservice in one process
// (scripts/platform.ts), on a stack of this test's own: it serves, transcodes a publish
// into a live stream, provisions the chat, and stops on SIGTERM with all four finishing.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { matrixNames, roomAlias } from "../../lib/matrix/ids.ts";
import { startStack, type Stack } from "../../scripts/stack.ts";
import { publish, waitFor, type Publisher } from "../support/live.ts";

const root = path.resolve(import.meta.dirname, "../..");

describe("the four roles in one process", () => {
  let stack: Stack;
  let publisher: Publisher | undefined;
  before(async () => {
    // Beside the main stack's logs, not among them: other tests search those for secrets.
    stack = await startStack({ name: "oneproc", logDir: path.join(root, "test-results", "one-process-logs"), workers: 1, s3: false, oneProcess: true });
  });
  after(async () => {
    await publisher?.stop();
    await stack?.stop();
  });

  it("is one process that answers as web, ingest, worker and appservice, and stops on SIGTERM", async () => {
    const labels = stack.roles.map((r) => r.label).sort();
    assert.deepEqual(labels, ["edge", "platform"]);
    const platform = stack.roles.find((r) => r.label === "platform")!;

    // A creator and a channel, made through the platform's own rules in its database.
    const made = JSON.parse(execFileSync(process.execPath, ["--import", "tsx", path.join(root, "test/support/creatorChild.ts"), "solo"], { cwd: root, env: stack.env, encoding: "utf8" }).trim().split("\n").pop()!);
    // The appservice (through its chat jobs) made the channel's room on the stack's homeserver.
    const alias = roomAlias("solo", { serverName: stack.env.MATRIX_SERVER_NAME!, prefix: stack.env.MATRIX_NAMESPACE_PREFIX || matrixNames().prefix });
    await waitFor("the channel's chat room", async () => (await fetch(`${stack.env.MATRIX_HOMESERVER_URL}/_matrix/client/v3/directory/room/${encodeURIComponent(alias)}`)).ok || null, 60_000, 500);

    // Ingest takes the publish, a worker transcodes it, the web app serves the playlist.
    publisher = publish(made.key, { base: `rtmp://127.0.0.1:${stack.env.RTMP_PORT}` });
    const live = await waitFor("the channel to be live", async () => {
      const s = await (await fetch(`${stack.baseUrl}/api/live/solo`)).json();
      return s.status === "live" && s.hlsUrl ? s : null;
    }, 90_000, 250);
    const playlist = await waitFor("a segment in the live playlist", async () => {
      const master = await (await fetch(new URL(live.hlsUrl, stack.baseUrl))).text();
      const first = master.split("\n").find((l) => l && !l.startsWith("#"));
      if (!first) return null;
      const media = await (await fetch(new URL(first, new URL(live.hlsUrl, stack.baseUrl)))).text();
      return /#EXTINF/.test(media) ? media : null;
    }, 90_000, 500);
    assert.match(playlist, /#EXTM3U/);
    const appservice = await fetch(`${stack.env.APPSERVICE_URL}/_livehouse/v1/health`);
    assert.equal(appservice.status, 200);
    await publisher.stop();
    publisher = undefined;

    // SIGTERM: every role finishes (lib/shutdown.ts) and the process ends by itself, cleanly.
    const exited = new Promise<[number | null, string | null]>((resolve) => platform.child.once("exit", (code, signal) => resolve([code, signal])));
    platform.stop();
    assert.deepEqual(await exited, [0, null]);
  });
});
