import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { crossOriginRefusal, isHttps } from "../../lib/origin.ts";
import { redact } from "../../lib/log.ts";

function h(init: Record<string, string>) {
  return new Headers({ host: "live.example:3000", "x-livehouse-host": "live.example:3000", "x-livehouse-proto": "http", ...init });
}

describe("cross-origin refusal", () => {
  // These cases are about an instance without PUBLIC_URL (origin from the request); the test stack sets one.
  const saved = process.env.PUBLIC_URL;
  before(() => void delete process.env.PUBLIC_URL);
  after(() => void (saved === undefined ? delete process.env.PUBLIC_URL : (process.env.PUBLIC_URL = saved)));

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
  it("with PUBLIC_URL, only its origin counts, whatever Host a request names", () => {
    process.env.PUBLIC_URL = "https://live.example";
    try {
      assert.equal(crossOriginRefusal(h({ origin: "https://live.example", host: "evil.example", "x-livehouse-host": "evil.example" })), null);
      assert.ok(crossOriginRefusal(h({ origin: "http://evil.example", host: "evil.example", "x-livehouse-host": "evil.example" })));
      assert.equal(isHttps(h({})), true);
    } finally {
      delete process.env.PUBLIC_URL;
    }
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
