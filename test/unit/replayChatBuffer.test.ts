// What the replay page holds of a long chat: a window around the playhead, the
// next page fetched ahead of it, a reload after a seek outside it, and the rows
// shown at a moment.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ReplayChatMessage, ReplayChatPage } from "../../lib/chat/replayChat.ts";
import { BUFFER, bufferFromPage, covers, shownAt, wantsMore, withNextPage } from "../../lib/chat/replayChatBuffer.ts";

const msg = (i: number, at: number): ReplayChatMessage => ({ id: `$e${i}`, sender: "@a:x", name: "A", ts: 1e12 + at * 1000, at, content: { msgtype: "m.text", body: `m${i}` }, edited: false });
const page = (ats: number[], opts: { fromStart?: boolean; next?: string | null; first?: number } = {}): ReplayChatPage => ({
  messages: ats.map((at, k) => msg((opts.first ?? 0) + k, at)),
  fromStart: opts.fromStart ?? false,
  next: opts.next ?? null,
});

describe("replay chat buffer", () => {
  it("shows exactly the messages sent by the playhead, the latest last", () => {
    const buf = bufferFromPage(page([1, 2, 2, 5, 9], { fromStart: true }), 0);
    assert.deepEqual(shownAt(buf, 0).map((m) => m.at), []);
    assert.deepEqual(shownAt(buf, 2).map((m) => m.at), [1, 2, 2]);
    assert.deepEqual(shownAt(buf, 4.99).map((m) => m.at), [1, 2, 2]);
    assert.deepEqual(shownAt(buf, 100).map((m) => m.at), [1, 2, 2, 5, 9]);
    assert.deepEqual(shownAt(buf, 100, 2).map((m) => m.at), [5, 9], "only the latest rows");
  });

  it("covers the loaded window; a seek outside it needs a reload", () => {
    const buf = bufferFromPage(page([40, 45, 50, 70, 90], { next: "c1" }), 50);
    assert.equal(buf.from, 40);
    assert.equal(buf.to, 90);
    assert.ok(covers(buf, 50) && covers(buf, 40) && covers(buf, 90));
    assert.ok(!covers(buf, 39) && !covers(buf, 91));
    const whole = bufferFromPage(page([3], { fromStart: true }), 0);
    assert.ok(covers(whole, 0) && covers(whole, 1e6), "the whole chat: any moment");
    const empty = bufferFromPage(page([], { fromStart: true }), 12.3);
    assert.ok(covers(empty, 0) && covers(empty, 99));
  });

  it("covers the asked moment whatever the rounding of the messages' moments", () => {
    const buf = bufferFromPage(page([10.0005, 11], { next: "c" }), 10);
    assert.ok(covers(buf, 10));
    const ahead = bufferFromPage(page([5], { next: "c" }), 10);
    assert.ok(covers(ahead, 10));
  });

  it("asks for the next page while the playhead nears the end of what it holds, and appends it once", () => {
    let buf = bufferFromPage(page([1, 100], { fromStart: true, next: "c1" }), 0);
    assert.ok(!wantsMore(buf, 10));
    assert.ok(wantsMore(buf, 100 - BUFFER.aheadSeconds + 1));
    buf = withNextPage(buf, page([100, 150, 200], { first: 1, next: "c2" }));
    assert.deepEqual(buf.messages.map((m) => m.id), ["$e0", "$e1", "$e2", "$e3"], "a repeated message is kept once");
    assert.equal(buf.to, 200);
    assert.equal(buf.next, "c2");
    buf = withNextPage(buf, page([210], { first: 9 }));
    assert.equal(buf.to, Infinity);
    assert.ok(!wantsMore(buf, 205));
  });

  it("holds at most a bounded number of messages, dropping the oldest", () => {
    const many = (from: number, n: number) => Array.from({ length: n }, (_, k) => from + k * 0.01);
    let buf = bufferFromPage(page(many(0, 3000), { fromStart: true, next: "a" }), 0);
    buf = withNextPage(buf, page(many(30, 3000), { first: 3000, next: "b" }));
    assert.equal(buf.messages.length, BUFFER.maxMessages);
    assert.equal(buf.from, buf.messages[0].at);
    assert.ok(buf.from > 0 && !covers(buf, 0), "seeking back to the start reloads");
  });
});
