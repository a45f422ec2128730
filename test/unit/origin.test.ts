import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { crossOriginRefusal, isHttps } from "../../lib/origin.ts";
import { redact } from "../../lib/log.ts";

function h(init: Record<string, string>) {
  return new Headers({ host: "live.example:3000", "x-livehouse-host": "live.example:3000", "x-livehouse-proto": "http", ...init });
}

describe("cross-origin refusal", () => {
  it("lets a same-origin request through", () => {
    assert.equal(crossOriginRefusal(h({ origin: "http://live.example:3000", "sec-fetch-site": "same-origin" })), null);
  });
  it("refuses another origin, a missing Origin and Origin: null", () => {
    assert.match(crossOriginRefusal(h({ origin: "http://evil.example" }))!, /Cross-site/);
    assert.match(crossOriginRefusal(h({}))!, /no Origin/);
    assert.match(crossOriginRefusal(h({ origin: "null" }))!, /Cross-site/);
  });
  it("refuses a different scheme or port of the same host", () => {
    assert.ok(crossOriginRefusal(h({ origin: "https://live.example:3000" })));
    assert.ok(crossOriginRefusal(h({ origin: "http://live.example:3001" })));
  });
  it("trusts Sec-Fetch-Site over a matching Origin", () => {
    assert.ok(crossOriginRefusal(h({ origin: "http://live.example:3000", "sec-fetch-site": "cross-site" })));
    assert.ok(crossOriginRefusal(h({ origin: "http://live.example:3000", "sec-fetch-site": "same-site" })));
  });
  it("marks cookies Secure only over HTTPS", () => {
    assert.equal(isHttps(h({})), false);
    assert.equal(isHttps(h({ "x-livehouse-proto": "https" })), true);
  });
});

describe("log redaction", () => {
  it("removes stream keys, session cookies and passwords", () => {
    const line = redact('{"msg":"publish lh_live_AbCdEfGhIjKlMnOpQrStUvWxYz012345 cookie lh_session=abc.def; x","password":"hunter2"}');
    assert.ok(!line.includes("AbCdEf"));
    assert.ok(!line.includes("abc.def"));
    assert.ok(!line.includes("hunter2"));
    assert.match(line, /lh_live_\[redacted\]/);
  });
});
