import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_RETURN_PATH, safeReturnPath } from "../../lib/returnPath.ts";

describe("return path after login", () => {
  it("keeps paths on this site, with their query and fragment", () => {
    for (const p of ["/dashboard", "/c/demo", "/dashboard/channels/new?x=1&y=%2F%2F#top", "/c/a%20b"]) assert.equal(safeReturnPath(p), p);
  });
  it("refuses other sites however they are spelled, control and non-ASCII characters, and non-strings", () => {
    for (const p of [
      "//evil.example/", "/\\evil.example", "/\t/evil.example/", "/\n/evil.example", "/\r\n/evil.example", "/%09/x".replace("%09", "\t"),
      "/\u3002/evil.example", "/ /evil", "https://evil.example/", "javascript:alert(1)", "evil.example", "", "/" + "a".repeat(2000),
      "/\u0000", "/\x7f",
    ]) {
      assert.equal(safeReturnPath(p), DEFAULT_RETURN_PATH, JSON.stringify(p));
    }
    for (const v of [undefined, null, 42, ["/x"], { toString: () => "/x" }]) assert.equal(safeReturnPath(v), DEFAULT_RETURN_PATH);
  });
});
