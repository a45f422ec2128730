// Where webhooks may send (SSRF rules), with WEBHOOK_ALLOW_PRIVATE off as in
// production: addresses, every spelling of them a URL can carry, and names that
// resolve to them (the machine's real resolver for localhost).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DestinationRefused, addressRefusal, checkDestination, guardedLookup, parseDestination } from "../../lib/webhooks/destination.ts";

const strict = { allowPrivate: false };

async function refusedMessage(raw: string, opts: Parameters<typeof checkDestination>[1] = strict): Promise<string> {
  try {
    await checkDestination(parseDestination(raw), opts);
  } catch (err) {
    assert.ok(err instanceof DestinationRefused, `${raw}: ${err}`);
    return (err as Error).message;
  }
  assert.fail(`${raw} was accepted`);
}

describe("webhook destination addresses", () => {
  it("refuses loopback, private, link-local, CGNAT, multicast, reserved and unspecified addresses", () => {
    const refused: [string, RegExp][] = [
      ["127.0.0.1", /loopback/],
      ["127.255.0.9", /loopback/],
      ["0.0.0.0", /unspecified/],
      ["10.1.2.3", /private/],
      ["172.16.0.1", /private/],
      ["172.31.255.255", /private/],
      ["192.168.1.1", /private/],
      ["169.254.169.254", /link-local/],
      ["100.64.0.1", /carrier-grade NAT/],
      ["100.127.255.254", /carrier-grade NAT/],
      ["224.0.0.1", /multicast/],
      ["239.255.255.250", /multicast/],
      ["255.255.255.255", /reserved/],
      ["198.18.0.1", /benchmarking/],
      ["192.0.2.1", /documentation/],
      ["::1", /loopback/],
      ["::", /unspecified/],
      ["fe80::1", /link-local/],
      ["fc00::1", /unique local/],
      ["fd12:3456::1", /unique local/],
      ["ff02::1", /multicast/],
      ["::ffff:127.0.0.1", /loopback/],
      ["::ffff:7f00:1", /loopback/],
      ["::ffff:a9fe:a9fe", /link-local/],
      ["64:ff9b::a00:1", /private/],
      ["2002:7f00:1::1", /loopback/],
      ["::127.0.0.1", /reserved/],
      ["2001:db8::1", /documentation/],
      ["fec0::1", /reserved/],
    ];
    for (const [ip, why] of refused) assert.match(addressRefusal(ip, false) ?? "allowed", why, ip);
  });

  it("allows public addresses, and everything when the admin allows private destinations", () => {
    for (const ip of ["8.8.8.8", "1.1.1.1", "100.128.0.1", "172.32.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]) assert.equal(addressRefusal(ip, false), null, ip);
    for (const ip of ["127.0.0.1", "::1", "10.0.0.1", "169.254.169.254"]) assert.equal(addressRefusal(ip, true), null, ip);
  });
});

describe("webhook destination URLs", () => {
  it("refuses schemes other than http(s), credentials in the URL, and garbage, with a clear message", () => {
    const cases: [string, RegExp][] = [
      ["ftp://example.org/x", /Only http:\/\/ and https:\/\//],
      ["file:///etc/passwd", /Only http/],
      ["gopher://example.org:70/", /Only http/],
      ["javascript:alert(1)", /Only http/],
      ["https://user:secret@example.org/hook", /no user name or password/],
      ["example.org/hook", /not a URL/],
      ["", /Enter the URL/],
      [`https://example.org/${"a".repeat(2100)}`, /at most 2000/],
    ];
    for (const [raw, msg] of cases) assert.throws(() => parseDestination(raw), (e: Error) => e instanceof DestinationRefused && msg.test(e.message), raw);
  });

  it("refuses every spelling of a loopback, unspecified, private or metadata address", async () => {
    const cases: [string, RegExp][] = [
      ["http://127.0.0.1:8080/hook", /127\.0\.0\.1, a loopback address/],
      ["http://2130706433/", /127\.0\.0\.1/], // decimal
      ["http://0x7f000001/", /127\.0\.0\.1/], // hex
      ["http://0x7f.0.0.1/", /127\.0\.0\.1/],
      ["http://0177.0.0.1/", /127\.0\.0\.1/], // octal
      ["http://127.1/", /127\.0\.0\.1/],
      ["http://0.0.0.0:3000/", /unspecified/],
      ["http://0/", /unspecified/],
      ["http://[::1]:3000/", /::1, a loopback/],
      ["http://[::]/", /unspecified/],
      ["http://[::ffff:127.0.0.1]/", /loopback/],
      ["http://[0:0:0:0:0:ffff:7f00:1]/", /loopback/],
      ["http://10.0.0.5/", /private/],
      ["http://169.254.169.254/latest/meta-data/", /link-local/],
      ["http://[fe80::1]/", /link-local/],
      ["http://100.100.100.200/", /carrier-grade/],
    ];
    for (const [raw, msg] of cases) assert.match(await refusedMessage(raw), msg, raw);
  });

  it("resolves names and refuses one that leads to loopback: localhost, with the machine's resolver", async () => {
    assert.match(await refusedMessage("http://localhost:3000/hook"), /localhost \((127\.0\.0\.1|::1)\), a loopback address/);
    // The root-anchored spelling: refused whether this resolver answers it (loopback) or not.
    assert.match(await refusedMessage("http://LOCALHOST./hook"), /loopback|does not resolve/);
  });

  it("refuses a name if any of its addresses is not public, and one that does not resolve", async () => {
    const mixed = async () => [{ address: "93.184.215.14", family: 4 }, { address: "10.0.0.7", family: 4 }];
    assert.match(await refusedMessage("https://mixed.example/", { allowPrivate: false, lookup: mixed }), /mixed\.example \(10\.0\.0\.7\), a private address/);
    const none = async () => {
      throw Object.assign(new Error("ENOTFOUND"), { code: "ENOTFOUND" });
    };
    assert.match(await refusedMessage("https://nowhere.invalid/", { allowPrivate: false, lookup: none }), /does not resolve/);
  });

  it("accepts public destinations, and private ones when allowed", async () => {
    const publicOnly = async () => [{ address: "93.184.215.14", family: 4 }, { address: "2606:2800:21f:cb07:6820:80da:af6b:8b2c", family: 6 }];
    await checkDestination(parseDestination("https://hooks.example/x?y=1"), { allowPrivate: false, lookup: publicOnly });
    await checkDestination(parseDestination("http://8.8.8.8/"), strict);
    await checkDestination(parseDestination("http://localhost:3000/"), { allowPrivate: true });
    await checkDestination(parseDestination("http://10.0.0.1/"), { allowPrivate: true });
  });
});

describe("the connection's lookup", () => {
  const call = (lookup: ReturnType<typeof guardedLookup>, host: string, options: object) =>
    new Promise<{ err: Error | null; address: unknown; family?: number }>((resolve) => lookup(host, options, (err, address, family) => resolve({ err, address, family })));

  it("hands the connection only the addresses it checked, in both callback forms", async () => {
    const lookup = guardedLookup({ allowPrivate: false, lookup: async () => [{ address: "93.184.215.14", family: 4 }] });
    assert.deepEqual(await call(lookup, "hooks.example", { all: true }), { err: null, address: [{ address: "93.184.215.14", family: 4 }], family: undefined });
    assert.deepEqual(await call(lookup, "hooks.example", {}), { err: null, address: "93.184.215.14", family: 4 });
  });

  it("fails the connection when the name now resolves to a private address (DNS rebinding)", async () => {
    let answers = 0;
    // Public when the webhook is saved, loopback by the time it is delivered.
    const rebinding = async () => (answers++ === 0 ? [{ address: "93.184.215.14", family: 4 }] : [{ address: "127.0.0.1", family: 4 }]);
    await checkDestination(parseDestination("http://rebind.example/"), { allowPrivate: false, lookup: rebinding });
    const r = await call(guardedLookup({ allowPrivate: false, lookup: rebinding }), "rebind.example", { all: true });
    assert.ok(r.err instanceof DestinationRefused);
    assert.match(r.err.message, /rebind\.example \(127\.0\.0\.1\), a loopback address/);
  });
});
