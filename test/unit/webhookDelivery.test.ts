// One webhook delivery attempt against real HTTP servers started here: the
// signature scheme as a receiver checks it, private destinations refused at
// connection time (also when a name is rebound after it was checked), redirects
// not followed, the deadline and the cap on what is read; and secrets kept out of logs.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, it } from "node:test";
import { redact } from "../../lib/log.ts";
import { RESPONSE_READ_CAP_BYTES, postWebhook } from "../../lib/webhooks/deliver.ts";
import { checkDestination, parseDestination } from "../../lib/webhooks/destination.ts";
import { signatureHeader, verifySignature } from "../../lib/webhooks/signature.ts";
import { signatureValid } from "../support/webhookSignature.ts";

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

const servers: http.Server[] = [];
after(() => {
  for (const s of servers) s.closeAllConnections(), s.close();
});

async function receiver(answer: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<{ url: string; port: number; got: Received[] }> {
  const got: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      answer(req, res);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/hook`, port, got };
}

const loopbackAllowed = { allowPrivate: true, timeoutMs: 5000 };

describe("webhook signatures", () => {
  const body = JSON.stringify({ id: "e1", type: "stream.started", data: { x: "é" } });

  it("t=<unix>,v1=<hex HMAC-SHA256(secret, t.body)>, verified as the README says", () => {
    const header = signatureHeader(body, ["whsec_one"]);
    assert.match(header, /^t=\d{10},v1=[0-9a-f]{64}$/);
    assert.ok(signatureValid(header, body, "whsec_one"));
    assert.ok(verifySignature(header, body, "whsec_one"));
  });

  it("fails for another secret, a changed body, an old or future timestamp, and garbage", () => {
    const header = signatureHeader(body, ["whsec_one"]);
    assert.equal(verifySignature(header, body, "whsec_two"), false);
    assert.equal(verifySignature(header, body.replace("é", "e"), "whsec_one"), false);
    const old = signatureHeader(body, ["whsec_one"], Date.now() - 301_000);
    assert.equal(verifySignature(old, body, "whsec_one"), false);
    assert.equal(signatureValid(old, body, "whsec_one"), false);
    assert.equal(verifySignature(signatureHeader(body, ["whsec_one"], Date.now() + 301_000), body, "whsec_one"), false);
    for (const h of ["", "t=abc,v1=00", "v1=" + "0".repeat(64), `t=${Math.floor(Date.now() / 1000)},v1=zz`]) assert.equal(verifySignature(h, body, "whsec_one"), false, h);
  });

  it("carries one v1 per secret while a rotated-out secret still signs", () => {
    const header = signatureHeader(body, ["whsec_new", "whsec_old"]);
    assert.equal(header.split(",").length, 3);
    assert.ok(verifySignature(header, body, "whsec_new"));
    assert.ok(verifySignature(header, body, "whsec_old"));
    assert.ok(signatureValid(header, body, "whsec_old"));
  });
});

describe("a delivery attempt", () => {
  it("POSTs the body with its headers and reports a 2xx as delivered", async () => {
    const r = await receiver((_req, res) => res.writeHead(200, { "content-type": "text/plain" }).end("thanks"));
    const body = '{"id":"x"}';
    const out = await postWebhook(r.url, body, { "content-type": "application/json", "x-livehouse-signature": signatureHeader(body, ["whsec_a"]) }, loopbackAllowed);
    assert.equal(out.ok, true);
    assert.equal(out.status, 200);
    assert.equal(out.snippet, "thanks");
    assert.equal(out.error, null);
    assert.equal(r.got.length, 1);
    assert.equal(r.got[0].body, body);
    assert.ok(verifySignature(r.got[0].headers["x-livehouse-signature"] as string, r.got[0].body, "whsec_a"));
  });

  it("reports a 500 as not delivered and retryable, with the answer's start", async () => {
    const r = await receiver((_req, res) => res.writeHead(500).end("boom\u0000\u202e"));
    const out = await postWebhook(r.url, "{}", {}, loopbackAllowed);
    assert.deepEqual([out.ok, out.status, out.refused, out.snippet], [false, 500, false, "boom"]);
    assert.match(out.error!, /Answered 500/);
  });

  it("refuses loopback destinations when private ones are not allowed: the address, localhost and [::1], and sends nothing", async () => {
    const r = await receiver((_req, res) => res.end("ok"));
    for (const url of [r.url, `http://localhost:${r.port}/hook`, `http://[::1]:${r.port}/hook`, `http://2130706433:${r.port}/hook`, `http://0.0.0.0:${r.port}/hook`]) {
      const out = await postWebhook(url, "{}", {}, { allowPrivate: false, timeoutMs: 5000 });
      assert.equal(out.ok, false, url);
      assert.equal(out.refused, true, url);
      assert.match(out.error!, /loopback|unspecified/, url);
    }
    assert.equal(r.got.length, 0);
  });

  it("refuses at connection time a name that was public when saved and now resolves to loopback (DNS rebinding)", async () => {
    const r = await receiver((_req, res) => res.end("ok"));
    let answers = 0;
    const rebinding = async () => (answers++ === 0 ? [{ address: "93.184.215.14", family: 4 }] : [{ address: "127.0.0.1", family: 4 }]);
    const url = `http://rebind.example:${r.port}/hook`;
    await checkDestination(parseDestination(url), { allowPrivate: false, lookup: rebinding });
    const out = await postWebhook(url, "{}", {}, { allowPrivate: false, timeoutMs: 5000, lookup: rebinding });
    assert.equal(out.refused, true);
    assert.match(out.error!, /rebind\.example \(127\.0\.0\.1\), a loopback address/);
    assert.equal(r.got.length, 0);
    // The same resolver answering loopback, with private destinations allowed: it connects there.
    const allowed = await postWebhook(url, "{}", {}, { allowPrivate: true, timeoutMs: 5000, lookup: async () => [{ address: "127.0.0.1", family: 4 }] });
    assert.equal(allowed.ok, true);
    assert.equal(r.got.length, 1);
  });

  it("does not follow redirects", async () => {
    const target = await receiver((_req, res) => res.end("should not be reached"));
    const r = await receiver((_req, res) => res.writeHead(307, { location: target.url }).end());
    const out = await postWebhook(r.url, "{}", {}, loopbackAllowed);
    assert.deepEqual([out.ok, out.status, out.refused], [false, 307, false]);
    assert.match(out.error!, /redirects are not followed/);
    assert.equal(target.got.length, 0);
  });

  it("gives up on a receiver that does not answer within the deadline", async () => {
    const r = await receiver(() => {
      /* never answers */
    });
    const out = await postWebhook(r.url, "{}", {}, { allowPrivate: true, timeoutMs: 400 });
    assert.deepEqual([out.ok, out.status, out.refused], [false, null, false]);
    assert.match(out.error!, /timed out/);
    assert.ok(out.durationMs >= 350, `${out.durationMs} ms`);
  });

  it("reads at most the cap of a huge answer, keeping a short snippet", async () => {
    const r = await receiver((_req, res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(64 * 1024, "x");
      let sent = 0;
      const more = () => {
        while (sent < 20 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", more);
        }
        res.end();
      };
      res.on("error", () => {});
      more();
    });
    const out = await postWebhook(r.url, "{}", {}, loopbackAllowed);
    assert.equal(out.ok, true);
    assert.ok(out.bytesRead <= RESPONSE_READ_CAP_BYTES, `${out.bytesRead}`);
    assert.ok(out.snippet.length <= 500);
  });

  it("reports an unreachable receiver as retryable", async () => {
    const r = await receiver((_req, res) => res.end());
    const port = r.port;
    await new Promise<void>((done) => servers.pop()!.close(() => done()));
    const out = await postWebhook(`http://127.0.0.1:${port}/hook`, "{}", {}, loopbackAllowed);
    assert.deepEqual([out.ok, out.status, out.refused], [false, null, false]);
    assert.match(out.error!, /ECONNREFUSED/);
  });
});

describe("log redaction of API credentials", () => {
  it("removes API tokens, webhook secrets and bearer credentials", () => {
    const token = "lh_api_" + "Ab9_-".repeat(8) + "xyz";
    const line = redact(JSON.stringify({ msg: `token ${token}`, secret: "whsec_QWErty_123-abc", headers: { authorization: "Bearer s3cr3t-value.x" } }));
    for (const leaked of ["Ab9_-", "QWErty", "s3cr3t"]) assert.ok(!line.includes(leaked), line);
    assert.match(line, /lh_api_\[redacted\]/);
    assert.match(line, /whsec_\[redacted\]/);
    assert.match(line, /Bearer \[redacted\]/);
  });
});
