import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HSTS, newNonce, securityHeaders } from "../../lib/securityHeaders.ts";

describe("security headers", () => {
  const base = { frameable: false, homeserver: "http://127.0.0.1:8008", nonce: "abc", https: false };
  it("scripts only with the nonce, the homeserver in connect-src, framing refused but for the embed", () => {
    const h = securityHeaders(base);
    assert.match(h["Content-Security-Policy"], /script-src 'self' 'nonce-abc' 'strict-dynamic';/);
    assert.doesNotMatch(h["Content-Security-Policy"], /script-src[^;]*unsafe-inline/);
    assert.match(h["Content-Security-Policy"], /connect-src 'self' http:\/\/127\.0\.0\.1:8008/);
    assert.equal(h["X-Frame-Options"], "DENY");
    const embed = securityHeaders({ ...base, frameable: true });
    assert.match(embed["Content-Security-Policy"], /frame-ancestors \*/);
    assert.equal(embed["X-Frame-Options"], undefined);
  });
  it("HSTS only over https", () => {
    assert.equal(securityHeaders(base)["Strict-Transport-Security"], undefined);
    assert.equal(securityHeaders({ ...base, https: true })["Strict-Transport-Security"], HSTS);
  });
  it("nonces are 128 random bits", () => {
    const a = newNonce();
    assert.equal(Buffer.from(a, "base64").length, 16);
    assert.notEqual(a, newNonce());
  });
});
