// The chat feed's pure parts: stream id order, what a message entry keeps,
// the viewer's view built from entries in any order, and the join backoff.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FEED, compareStreamIds, feedContent, isStreamId, sseFrame, type FeedEntry } from "../../lib/chat/feed.ts";
import { FeedView } from "../../lib/chat/feedView.ts";
import { ChatQueueTimeout, withBackoff } from "../../app/_components/chat/chatSender.ts";

const msg = (id: string, sender: string, body: string): FeedEntry => ({ t: "msg", id, sender, name: sender, ts: 1, content: { msgtype: "m.text", body } });

describe("stream ids", () => {
  it("orders by milliseconds, then sequence, numerically", () => {
    assert.ok(compareStreamIds("9-0", "10-0") < 0);
    assert.ok(compareStreamIds("10-2", "10-10") < 0);
    assert.ok(compareStreamIds("1796295583029-1", "1796295583029-0") > 0);
    assert.equal(compareStreamIds("5-5", "5-5"), 0);
  });
  it("recognises only well-formed ids", () => {
    assert.ok(isStreamId("1-0"));
    for (const bad of ["", "1", "1-", "-1", "a-1", "1-0\n", "1-0 ", null, 5]) assert.equal(isStreamId(bad), false, String(bad));
  });
});

describe("feedContent", () => {
  it("keeps what the widget renders and nothing else", () => {
    assert.deepEqual(feedContent({ msgtype: "m.text", body: "hi", format: "org.matrix.custom.html", formatted_body: "<b>hi</b>", extra: "x", "m.relates_to": {} }), {
      msgtype: "m.text",
      body: "hi",
      format: "org.matrix.custom.html",
      formatted_body: "<b>hi</b>",
    });
    assert.deepEqual(feedContent({ msgtype: "m.text", body: "hi", formatted_body: "<b>hi</b>" }), { msgtype: "m.text", body: "hi" }, "formatted_body without the HTML format is not HTML");
    assert.deepEqual(feedContent({ body: "cat.png", url: "mxc://x/y" }, "m.sticker"), { msgtype: "m.sticker", body: "cat.png" });
  });
  it("refuses what is not a message", () => {
    for (const c of [null, "text", [], {}, { body: 5, msgtype: "m.text" }, { body: "no type" }]) assert.equal(feedContent(c), null, JSON.stringify(c));
  });
  it("clamps long bodies without splitting a surrogate pair", () => {
    const long = "a".repeat(FEED.bodyMax - 1) + "😀" + "b".repeat(100);
    const c = feedContent({ msgtype: "m.text", body: long })!;
    assert.equal(c.body, "a".repeat(FEED.bodyMax - 1) + "…");
    assert.ok(feedContent({ msgtype: "m.text", body: "x".repeat(60_000) })!.body.length <= FEED.bodyMax + 1);
  });
  it("frames an SSE event on one data line", () => {
    assert.equal(sseFrame(JSON.stringify({ a: "x\ny" }), "1-0"), 'id: 1-0\ndata: {"a":"x\\ny"}\n\n');
    assert.equal(sseFrame("{}", undefined, "page"), "event: page\ndata: {}\n\n");
  });
});

describe("FeedView", () => {
  it("lists messages in stream order, live ones after, earlier pages before", () => {
    const v = new FeedView();
    v.apply("20-0", msg("$b", "@u", "b"));
    v.apply("30-0", msg("$c", "@u", "c"));
    v.apply("10-0", msg("$a", "@u", "a"));
    v.apply("15-0", msg("$a2", "@u", "a2"));
    assert.deepEqual(v.list().map((m) => m.id), ["$a", "$a2", "$b", "$c"]);
    assert.equal(v.oldest, "10-0");
    assert.equal(v.newest, "30-0");
  });
  it("shows a message once even when it arrives twice", () => {
    const v = new FeedView();
    v.apply("1-0", msg("$a", "@u", "a"));
    v.apply("2-0", msg("$a", "@u", "a"));
    assert.equal(v.list().length, 1);
  });
  it("applies the author's latest edit, whichever arrived first, and ignores someone else's", () => {
    const v = new FeedView();
    v.apply("3-0", { t: "edit", id: "$e2", target: "$a", sender: "@u", content: { msgtype: "m.text", body: "second edit" } });
    v.apply("5-0", { t: "edit", id: "$x", target: "$a", sender: "@troll", content: { msgtype: "m.text", body: "hijacked" } });
    v.apply("2-0", { t: "edit", id: "$e1", target: "$a", sender: "@u", content: { msgtype: "m.text", body: "first edit" } });
    v.apply("1-0", msg("$a", "@u", "original"));
    const [m] = v.list();
    assert.equal(m.content.body, "second edit");
    assert.ok(m.edited);
    const w = new FeedView();
    w.apply("1-0", msg("$a", "@u", "original"));
    w.apply("4-0", { t: "edit", id: "$x", target: "$a", sender: "@troll", content: { msgtype: "m.text", body: "hijacked" } });
    assert.equal(w.list()[0].content.body, "original");
    assert.equal(w.list()[0].edited, false);
  });
  it("redacts a message whether the redaction came before or after it", () => {
    const v = new FeedView();
    v.apply("9-0", { t: "redact", target: "$old", by: "@mod", reason: "spam" });
    v.apply("1-0", msg("$old", "@u", "spam"));
    v.apply("10-0", msg("$new", "@u", "fine"));
    v.apply("11-0", { t: "redact", target: "$new", by: "@u", reason: null });
    assert.deepEqual(v.list().map((m) => m.redacted), [{ by: "@mod", reason: "spam" }, { by: "@u", reason: null }]);
    assert.ok(v.list()[1].rev > 0, "the row knows it changed");
  });
  it("answers power levels and memberships changed by others", () => {
    const v = new FeedView();
    assert.equal(v.powerOf("@a"), 0);
    v.apply("1-0", { t: "power", users: { "@mod": 50 }, usersDefault: 0 });
    assert.equal(v.powerOf("@mod"), 50);
    assert.equal(v.powerOf("@a"), 0);
    v.apply("2-0", { t: "member", userId: "@a", membership: "ban", by: "@mod", reason: "spam" });
    assert.equal(v.membershipOf("@a")?.membership, "ban");
    assert.equal(v.membershipOf("@b"), null);
  });
});

describe("withBackoff", () => {
  const limited = (ms?: number) => Object.assign(new Error("Too many requests"), { errcode: "M_LIMIT_EXCEEDED", data: ms ? { retry_after_ms: ms } : {} });

  it("waits out 429s with growing waits, telling the listener, then succeeds", async () => {
    let calls = 0;
    const waits: number[] = [];
    const told: unknown[] = [];
    const result = await withBackoff(
      async () => {
        if (++calls < 4) throw limited();
        return "in";
      },
      (q) => told.push(q),
      async (ms) => void waits.push(ms),
    );
    assert.equal(result, "in");
    assert.equal(waits.length, 3);
    assert.ok(waits[0] >= 700 && waits[0] <= 1300, String(waits[0]));
    assert.ok(waits[2] > waits[0], "the wait grows");
    assert.deepEqual(told.at(-1), null, "the queue notice is cleared");
    assert.equal((told[0] as { attempt: number }).attempt, 1);
  });
  it("honours the homeserver's retry_after_ms when it is longer", async () => {
    const waits: number[] = [];
    let calls = 0;
    await withBackoff(
      async () => {
        if (++calls < 2) throw limited(9000);
      },
      () => {},
      async (ms) => void waits.push(ms),
    );
    assert.equal(waits[0], 9000);
  });
  it("passes other errors on at once", async () => {
    const forbidden = Object.assign(new Error("banned"), { errcode: "M_FORBIDDEN" });
    await assert.rejects(withBackoff(() => Promise.reject(forbidden), () => {}, async () => {}), (e) => e === forbidden);
  });
  it("gives up with a clear message after a few minutes of refusals", async () => {
    await assert.rejects(withBackoff(() => Promise.reject(limited(60_000)), () => {}, async () => {}), (e) => e instanceof ChatQueueTimeout && /very busy/.test(e.message));
  });
});
