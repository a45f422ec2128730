// Which edge a new viewer is sent to, what counts as an announcement, and what is RTCP.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseAnnouncement, pickEdge, type EdgeAnnouncement } from "../../lib/webrtc/edges.ts";
import { isRtcp } from "../../lib/webrtc/rtpSources.ts";

const edge = (id: string, viewers: number, maxViewers = 100): EdgeAnnouncement => ({
  id,
  rtp: { host: "127.0.0.1", port: 5004 },
  signalingUrl: `http://${id}:3334`,
  viewers,
  maxViewers,
  at: 1,
});

describe("pickEdge", () => {
  it("takes the edge with the lowest share of its capacity in use", () => {
    assert.equal(pickEdge([edge("a", 50), edge("b", 10), edge("c", 30)])?.id, "b");
    // 40 of 400 is less loaded than 20 of 100.
    assert.equal(pickEdge([edge("a", 20, 100), edge("b", 40, 400)])?.id, "b");
  });

  it("skips full edges and gives null when every edge is full or none runs", () => {
    assert.equal(pickEdge([edge("a", 100), edge("b", 99)])?.id, "b");
    assert.equal(pickEdge([edge("a", 100), edge("b", 5, 5)]), null);
    assert.equal(pickEdge([edge("a", 0, 0)]), null);
    assert.equal(pickEdge([]), null);
  });

  it("counts connections sent since the last announcement, so a burst spreads", () => {
    const edges = [edge("a", 10), edge("b", 10)];
    const sent = new Map<string, number>();
    const picks: string[] = [];
    for (let i = 0; i < 6; i++) {
      const e = pickEdge(edges, (x) => sent.get(x.id) ?? 0)!;
      sent.set(e.id, (sent.get(e.id) ?? 0) + 1);
      picks.push(e.id);
    }
    assert.deepEqual(picks.sort(), ["a", "a", "a", "b", "b", "b"]);
    assert.equal(pickEdge([edge("a", 98)], () => 2), null);
  });
});

describe("parseAnnouncement", () => {
  it("reads what an edge wrote and refuses anything else", () => {
    const a = edge("a", 3);
    assert.deepEqual(parseAnnouncement(JSON.stringify(a)), a);
    assert.equal(parseAnnouncement("{nope"), null);
    assert.equal(parseAnnouncement(JSON.stringify({ ...a, rtp: { host: "x", port: "5004" } })), null);
    assert.equal(parseAnnouncement(JSON.stringify({ ...a, viewers: null })), null);
    assert.equal(parseAnnouncement("null"), null);
  });
});

describe("isRtcp", () => {
  it("tells sender reports from the RTP of both payload types, marker set or not", () => {
    const packet = (second: number) => Buffer.from([0x80, second, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]);
    for (const pt of [200, 201, 202, 203, 204]) assert.equal(isRtcp(packet(pt)), true, `type ${pt}`);
    for (const b of [96, 96 | 0x80, 111, 111 | 0x80]) assert.equal(isRtcp(packet(b)), false, `byte ${b}`);
    assert.equal(isRtcp(Buffer.from([0x80])), false);
  });
});
