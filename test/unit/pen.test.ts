import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mayTakePen, parsePen, penValue, type PenHolder } from "../../lib/live/pen.ts";

const part = (partIndex: number, epoch: number, partId = `00000000-0000-4000-8000-${String(partIndex).padStart(12, "0")}`): PenHolder => ({ kind: "transcode", partIndex, partId, epoch });
const slate: PenHolder = { kind: "slate", id: "job-1-ab" };

describe("the playlist pen", () => {
  it("writes and reads holders", () => {
    for (const h of [part(0, 3), part(12, 1), slate]) assert.deepEqual(parsePen(penValue(h)), h);
    assert.equal(parsePen(null), null);
    assert.equal(parsePen("garbage"), null);
  });

  it("a transcode takes it from nobody, the slate or an older attempt of its part — only once earlier parts are listed", () => {
    assert.equal(mayTakePen(part(1, 1), null, true), true);
    assert.equal(mayTakePen(part(1, 1), slate, true), true);
    assert.equal(mayTakePen(part(1, 2), part(1, 1), true), true, "a takeover of the same part");
    assert.equal(mayTakePen(part(1, 1), part(1, 2), true), false, "never from a newer attempt");
    assert.equal(mayTakePen(part(1, 1), null, false), false, "part 0 is still listing its backlog");
    assert.equal(mayTakePen(part(0, 5), part(1, 1), true), false, "an earlier part never interrupts a later one");
  });

  it("the slate takes it only from nobody or another slate", () => {
    assert.equal(mayTakePen(slate, null, false), true);
    assert.equal(mayTakePen(slate, { kind: "slate", id: "other" }, false), true);
    assert.equal(mayTakePen(slate, part(0, 1), true), false, "waits for the departing transcode to list its last frame");
  });
});
