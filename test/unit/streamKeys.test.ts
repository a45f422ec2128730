import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { STREAM_KEY_PREFIX, generateStreamKey, hashStreamKey, isWellFormedStreamKey, streamKeyHint } from "../../lib/streamKeys.ts";

describe("stream keys", () => {
  it("have the recognisable prefix and at least 128 random bits", () => {
    const { key } = generateStreamKey();
    assert.ok(key.startsWith(STREAM_KEY_PREFIX));
    const body = key.slice(STREAM_KEY_PREFIX.length);
    assert.match(body, /^[A-Za-z0-9]+$/);
    const bits = body.length * Math.log2(62);
    assert.ok(bits >= 128, `only ${bits.toFixed(0)} bits`);
  });

  it("are unique and use the whole alphabet", () => {
    const keys = new Set<string>();
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const { key } = generateStreamKey();
      keys.add(key);
      for (const ch of key.slice(STREAM_KEY_PREFIX.length)) seen.add(ch);
    }
    assert.equal(keys.size, 2000);
    assert.equal(seen.size, 62);
  });

  it("store only a hash, which matches the key and nothing else", () => {
    const { key, keyHash, hint } = generateStreamKey();
    assert.equal(keyHash, hashStreamKey(key));
    assert.match(keyHash, /^[0-9a-f]{64}$/);
    assert.ok(!keyHash.includes(key.slice(8, 20)));
    assert.notEqual(hashStreamKey(key + "x"), keyHash);
    assert.equal(hint, streamKeyHint(key));
    assert.equal(hint.length, STREAM_KEY_PREFIX.length + 4 + 1);
  });

  it("recognise malformed keys without a database lookup", () => {
    assert.ok(isWellFormedStreamKey(generateStreamKey().key));
    for (const bad of ["", "lh_live_", "lh_live_short", "xx_live_" + "a".repeat(32), "lh_live_" + "a".repeat(31) + "!", "lh_live_" + "a".repeat(33), "../../etc/passwd"]) {
      assert.equal(isWellFormedStreamKey(bad), false, bad);
    }
  });
});
