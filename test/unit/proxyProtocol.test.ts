import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import {
  MAX_V1_LENGTH,
  MAX_V2_LENGTH,
  ProxyHeaderError,
  parseProxyHeader,
  readProxyHeader,
  type ProxyParse,
} from "../../ingest/proxyProtocol.ts";
import { isTrustedProxy, trustedProxyMatcher } from "../../lib/addresses.ts";

const SIG = Buffer.from("0d0a0d0a000d0a515549540a", "hex");
const RTMP_C0C1 = Buffer.concat([Buffer.from([0x03]), Buffer.alloc(16, 0xab)]);

function tlv(type: number, value: Buffer): Buffer {
  const head = Buffer.alloc(3);
  head[0] = type;
  head.writeUInt16BE(value.length, 1);
  return Buffer.concat([head, value]);
}

function v2(command: number, familyProtocol: number, body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head[0] = 0x20 | command;
  head[1] = familyProtocol;
  head.writeUInt16BE(body.length, 2);
  return Buffer.concat([SIG, head, body]);
}

function v2Ipv4(src: string, dst: string, sport: number, dport: number, extra: Buffer = Buffer.alloc(0)): Buffer {
  const ports = Buffer.alloc(4);
  ports.writeUInt16BE(sport, 0);
  ports.writeUInt16BE(dport, 2);
  const ip = (a: string) => Buffer.from(a.split(".").map(Number));
  return v2(0x1, 0x11, Buffer.concat([ip(src), ip(dst), ports, extra]));
}

function v2Ipv6(src: Buffer, dst: Buffer, sport: number, dport: number, extra: Buffer = Buffer.alloc(0)): Buffer {
  const ports = Buffer.alloc(4);
  ports.writeUInt16BE(sport, 0);
  ports.writeUInt16BE(dport, 2);
  return v2(0x1, 0x21, Buffer.concat([src, dst, ports, extra]));
}

function ok(result: ProxyParse) {
  assert.equal(result.status, "ok", JSON.stringify(result));
  return result as Extract<ProxyParse, { status: "ok" }>;
}

function errorOf(result: ProxyParse): string {
  assert.equal(result.status, "error", JSON.stringify(result));
  return (result as Extract<ProxyParse, { status: "error" }>).reason;
}

/** Feeds the bytes in pieces of `size` as a socket would, returning the first non-incomplete result. */
function feed(bytes: Buffer, size: number): { result: ProxyParse; at: number } {
  for (let at = Math.min(size, bytes.length); ; at = Math.min(at + size, bytes.length)) {
    const result = parseProxyHeader(bytes.subarray(0, at));
    if (result.status !== "incomplete" || at === bytes.length) return { result, at };
  }
}

describe("PROXY protocol v1", () => {
  it("reads TCP4 and leaves what follows the header alone", () => {
    const header = "PROXY TCP4 203.0.113.7 10.0.0.2 51234 1935\r\n";
    const r = ok(parseProxyHeader(Buffer.concat([Buffer.from(header), RTMP_C0C1])));
    assert.equal(r.headerLength, header.length);
    assert.deepEqual(r.source, { address: "203.0.113.7", port: 51234 });
  });
  it("reads TCP6 in node's canonical form and reduces IPv4-mapped addresses to IPv4", () => {
    assert.deepEqual(ok(parseProxyHeader(Buffer.from("PROXY TCP6 2001:DB8:0:0:0:0:0:1 2001:db8::2 4000 1935\r\n"))).source, {
      address: "2001:db8::1",
      port: 4000,
    });
    assert.deepEqual(ok(parseProxyHeader(Buffer.from("PROXY TCP6 ::ffff:198.51.100.4 ::ffff:10.0.0.1 65535 1935\r\n"))).source, {
      address: "198.51.100.4",
      port: 65535,
    });
  });
  it("reads UNKNOWN, with or without trailing fields, as no source", () => {
    const bare = ok(parseProxyHeader(Buffer.from("PROXY UNKNOWN\r\n")));
    assert.equal(bare.source, null);
    assert.equal(bare.headerLength, 15);
    assert.equal(ok(parseProxyHeader(Buffer.from("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n"))).source, null);
  });
  it("accepts the longest legal line and refuses one byte more", () => {
    const longest = "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
    assert.equal(longest.length, MAX_V1_LENGTH);
    ok(parseProxyHeader(Buffer.from(longest)));
    assert.match(errorOf(parseProxyHeader(Buffer.from(longest.replace("UNKNOWN", "UNKNOWN ")))), /longer than 107/);
  });
  it("refuses malformed lines", () => {
    const bad = [
      "PROXY TCP4 203.0.113.7 10.0.0.2 51234\r\n", // no dport
      "PROXY TCP4 203.0.113.7 10.0.0.2 51234 1935 x\r\n",
      "PROXY TCP4 2001:db8::1 10.0.0.2 51234 1935\r\n", // family mismatch
      "PROXY TCP6 203.0.113.7 2001:db8::2 51234 1935\r\n",
      "PROXY TCP4 203.0.113.07 10.0.0.2 51234 1935\r\n",
      "PROXY TCP4 203.0.113.7 10.0.0.2 65536 1935\r\n",
      "PROXY TCP4 203.0.113.7 10.0.0.2 -1 1935\r\n",
      "PROXY TCP4 203.0.113.7 10.0.0.2 0x10 1935\r\n",
      "PROXY TCP4  203.0.113.7 10.0.0.2 51234 1935\r\n", // double space
      "PROXY UDP4 203.0.113.7 10.0.0.2 51234 1935\r\n",
      "PROXY TCP4 203.0.113.7 10.0.0.2 51234 1935\n", // LF without CR
      "PROXY \r\n",
      "PROXY TCP4 203.0.113.7\t10.0.0.2 51234 1935\r\n",
    ];
    for (const line of bad) assert.equal(parseProxyHeader(Buffer.from(line)).status, "error", JSON.stringify(line));
  });
  it("refuses binary bytes as soon as they arrive, not after 107 bytes", () => {
    assert.match(errorOf(parseProxyHeader(Buffer.from("PROXY TCP4 \x00"))), /non-printable/);
  });
  it("waits while the line may still become a header", () => {
    for (const partial of ["P", "PROX", "PROXY ", "PROXY TCP4 203.0.113.7 10.0.0.2 51234 1935", "PROXY TCP4 203.0.113.7 10.0.0.2 51234 1935\r"]) {
      assert.equal(parseProxyHeader(Buffer.from(partial)).status, "incomplete", partial);
    }
  });
});

describe("PROXY protocol v2", () => {
  it("reads PROXY over IPv4, skipping TLVs", () => {
    const tlvs = Buffer.concat([tlv(0x01, Buffer.from("h2")), tlv(0x04, Buffer.alloc(0)), tlv(0xea, Buffer.from("vpce-0123456789abcdef0"))]);
    const header = v2Ipv4("198.51.100.23", "10.1.2.3", 40000, 1935, tlvs);
    const r = ok(parseProxyHeader(Buffer.concat([header, RTMP_C0C1])));
    assert.equal(r.headerLength, header.length);
    assert.deepEqual(r.source, { address: "198.51.100.23", port: 40000 });
  });
  it("reads PROXY over IPv6, in canonical form, with TLVs", () => {
    const src = Buffer.from("20010db8000000000000000000000042", "hex");
    const dst = Buffer.from("20010db8000000000000000000000001", "hex");
    const header = v2Ipv6(src, dst, 443, 1935, tlv(0x05, Buffer.from("unique-id")));
    assert.deepEqual(ok(parseProxyHeader(header)).source, { address: "2001:db8::42", port: 443 });
    const mapped = Buffer.from("00000000000000000000ffffc0000207", "hex");
    assert.deepEqual(ok(parseProxyHeader(v2Ipv6(mapped, dst, 1, 2))).source, { address: "192.0.2.7", port: 1 });
  });
  it("reads LOCAL (a health check) as no source, whatever its address block holds", () => {
    const local = v2(0x0, 0x00, Buffer.alloc(0));
    assert.deepEqual(ok(parseProxyHeader(local)), { status: "ok", headerLength: 16, source: null });
    const localWithJunk = v2(0x0, 0x11, Buffer.alloc(12, 0xff));
    assert.deepEqual(ok(parseProxyHeader(localWithJunk)), { status: "ok", headerLength: 28, source: null });
  });
  it("reads UNSPEC and unix sockets as no source", () => {
    assert.equal(ok(parseProxyHeader(v2(0x1, 0x00, Buffer.alloc(0)))).source, null);
    assert.equal(ok(parseProxyHeader(v2(0x1, 0x31, Buffer.alloc(216)))).source, null);
  });
  it("refuses bad versions, commands, families, lengths and TLVs", () => {
    const good = v2Ipv4("198.51.100.23", "10.1.2.3", 40000, 1935);
    const withByte = (i: number, value: number) => {
      const b = Buffer.from(good);
      b[i] = value;
      return b;
    };
    assert.match(errorOf(parseProxyHeader(withByte(12, 0x11))), /version 1/);
    assert.match(errorOf(parseProxyHeader(withByte(12, 0x22))), /command 2/);
    assert.match(errorOf(parseProxyHeader(withByte(13, 0x12))), /not a stream/); // UDP
    assert.match(errorOf(parseProxyHeader(withByte(13, 0x41))), /not a stream/);
    assert.match(errorOf(parseProxyHeader(v2(0x1, 0x11, Buffer.alloc(8)))), /too short/);
    assert.match(errorOf(parseProxyHeader(v2(0x1, 0x21, Buffer.alloc(20)))), /too short/);
    assert.match(errorOf(parseProxyHeader(v2Ipv4("1.2.3.4", "5.6.7.8", 1, 2, Buffer.from([0x01, 0x00])))), /TLV truncated/);
    assert.match(errorOf(parseProxyHeader(v2Ipv4("1.2.3.4", "5.6.7.8", 1, 2, Buffer.from([0x01, 0x00, 0x09, 0x41])))), /past the header/);
  });
  it("refuses a header longer than the cap from its length field alone", () => {
    const head = Buffer.from([0x21, 0x11, 0, 0]);
    head.writeUInt16BE(MAX_V2_LENGTH - 16 + 1, 2);
    assert.match(errorOf(parseProxyHeader(Buffer.concat([SIG, head]))), /longer than 536/);
    const longest = v2Ipv4("1.2.3.4", "5.6.7.8", 1, 2, tlv(0x04, Buffer.alloc(MAX_V2_LENGTH - 16 - 12 - 3)));
    assert.equal(ok(parseProxyHeader(longest)).headerLength, MAX_V2_LENGTH);
  });
});

describe("PROXY header detection and chunking", () => {
  it("refuses what is neither header, from its first byte", () => {
    assert.match(errorOf(parseProxyHeader(RTMP_C0C1)), /not a PROXY/);
    assert.match(errorOf(parseProxyHeader(Buffer.from("GET / HTTP/1.1\r\n"))), /not a PROXY/);
    assert.match(errorOf(parseProxyHeader(Buffer.from("PROXZ"))), /not a PROXY/);
    assert.match(errorOf(parseProxyHeader(Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x01]))), /not a PROXY/);
    assert.equal(parseProxyHeader(Buffer.alloc(0)).status, "incomplete");
  });
  it("gives the same answer however the bytes are split", () => {
    const cases = [
      Buffer.concat([Buffer.from("PROXY TCP6 2001:db8::1 2001:db8::2 4000 1935\r\n"), RTMP_C0C1]),
      Buffer.concat([v2Ipv4("198.51.100.23", "10.1.2.3", 40000, 1935, tlv(0x02, Buffer.from("authority"))), RTMP_C0C1]),
      Buffer.concat([v2(0x0, 0x00, Buffer.alloc(0)), RTMP_C0C1]),
    ];
    for (const bytes of cases) {
      const whole = ok(parseProxyHeader(bytes));
      for (const size of [1, 2, 3, 5, 7, 13]) {
        const { result, at } = feed(bytes, size);
        assert.deepEqual(result, whole, `chunks of ${size}`);
        assert.ok(at >= whole.headerLength && at < whole.headerLength + size, "complete as soon as the header is");
      }
    }
  });
  it("refuses garbage after the prefix byte by byte, before any length limit", () => {
    const { result, at } = feed(Buffer.concat([Buffer.from("PROXY TCP4 1.2.3.4"), Buffer.from([0xff]), Buffer.alloc(200, 0x41)]), 1);
    assert.equal(result.status, "error");
    assert.equal(at, 19);
  });
});

describe("readProxyHeader on a socket", () => {
  let server: net.Server;
  let port = 0;
  const accepted: net.Socket[] = [];
  let nextAccepted: ((s: net.Socket) => void) | null = null;
  before(async () => {
    server = net.createServer((s) => {
      accepted.push(s);
      nextAccepted?.(s);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as net.AddressInfo).port;
  });
  after(async () => {
    for (const s of accepted) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  async function connectPair(): Promise<{ client: net.Socket; serverSide: net.Socket }> {
    const serverSide = new Promise<net.Socket>((resolve) => (nextAccepted = resolve));
    const client = net.connect(port, "127.0.0.1");
    client.on("error", () => {});
    await new Promise((resolve) => client.once("connect", resolve));
    return { client, serverSide: await serverSide };
  }

  it("reads a header sent in pieces and hands the following bytes to the next 'data' handler", async () => {
    const { client, serverSide } = await connectPair();
    const header = v2Ipv4("198.51.100.23", "10.1.2.3", 40000, 1935);
    const sent = Buffer.concat([header, RTMP_C0C1, Buffer.from("more")]);
    const reading = readProxyHeader(serverSide, 2000);
    // Header and the first payload bytes share a write: the rest must not be lost.
    client.write(sent.subarray(0, 5));
    await new Promise((r) => setTimeout(r, 20));
    client.write(sent.subarray(5, header.length + 3));
    await new Promise((r) => setTimeout(r, 20));
    const { source } = await reading;
    assert.deepEqual(source, { address: "198.51.100.23", port: 40000 });
    const got: Buffer[] = [];
    const all = new Promise<void>((resolve) =>
      serverSide.on("data", (d: Buffer) => {
        got.push(d);
        if (Buffer.concat(got).length === sent.length - header.length) resolve();
      }),
    );
    client.write(sent.subarray(header.length + 3));
    await all;
    assert.deepEqual(Buffer.concat(got), sent.subarray(header.length));
    client.destroy();
  });

  it("rejects and destroys the socket on a bad header, a timeout, or an early close", async () => {
    const bad = await connectPair();
    const badRead = readProxyHeader(bad.serverSide, 2000);
    bad.client.write(RTMP_C0C1);
    await assert.rejects(badRead, (e) => e instanceof ProxyHeaderError && /not a PROXY/.test(e.message));
    assert.ok(bad.serverSide.destroyed);

    const slow = await connectPair();
    slow.client.write("PROXY TCP4 ");
    await assert.rejects(readProxyHeader(slow.serverSide, 100), /within 100 ms/);
    assert.ok(slow.serverSide.destroyed);

    const gone = await connectPair();
    const goneRead = readProxyHeader(gone.serverSide, 2000);
    gone.client.end("PROXY TCP4 1.2.3.4");
    await assert.rejects(goneRead, /closed before/);
    for (const c of [bad.client, slow.client, gone.client]) c.destroy();
  });
});

describe("trusted proxies", () => {
  const trusted = ["127.0.0.1", "::1", "10.0.0.0/8", "192.168.4.0/22", "2001:db8:aa::/48", "fd00::5"];
  it("matches exact addresses and CIDR ranges of both families", () => {
    for (const yes of ["127.0.0.1", "::ffff:127.0.0.1", "::1", "0:0:0:0:0:0:0:1", "10.255.0.1", "192.168.7.255", "2001:db8:aa:ffff::1", "fd00::5", "FD00:0::5"]) {
      assert.equal(isTrustedProxy(yes, trusted), true, yes);
    }
    for (const no of ["127.0.0.2", "11.0.0.1", "192.168.8.0", "2001:db8:ab::1", "fd00::6", "unknown", ""]) {
      assert.equal(isTrustedProxy(no, trusted), false, no);
    }
  });
  it("trusts nobody with an empty list, and everybody only when told so", () => {
    assert.equal(isTrustedProxy("127.0.0.1", []), false);
    const all = trustedProxyMatcher(["0.0.0.0/0", "::/0"]);
    assert.equal(all("203.0.113.9"), true);
    assert.equal(all("2001:db8::9"), true);
  });
  it("refuses entries it cannot read instead of ignoring them", () => {
    for (const bad of ["localhost", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/8/1", "::1/129", "1.2.3", "10.0.0.0/x"]) {
      assert.throws(() => trustedProxyMatcher([bad]), /trusted proxy/, bad);
    }
    assert.doesNotThrow(() => trustedProxyMatcher([" 127.0.0.1 ", ""]));
  });
});
