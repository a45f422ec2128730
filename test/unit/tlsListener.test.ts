import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import tls from "node:tls";
import { readProxyHeader, type ProxySource } from "../../ingest/proxyProtocol.ts";
import { startRtmpsListener } from "../../ingest/tlsListener.ts";
import { prepareRtmps } from "../../scripts/rtmps.ts";
import { ensureSelfSignedCertificate, type CertificateFiles } from "../../scripts/selfSignedCert.ts";

const tmp = mkdtempSync(path.join(os.tmpdir(), "lh-tls-"));
const fingerprintOf = (files: CertificateFiles) => new X509Certificate(readFileSync(files.certFile)).fingerprint256;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function connect(port: number, socket?: net.Socket): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: "127.0.0.1", port, socket, rejectUnauthorized: false }, () => resolve(s));
    s.once("error", reject);
  });
}

function roundTrip(s: tls.TLSSocket, text: string): Promise<string> {
  return new Promise((resolve) => {
    let got = "";
    const onData = (d: Buffer) => {
      got += d.toString();
      if (got.length >= text.length) {
        s.off("data", onData);
        resolve(got);
      }
    };
    s.on("data", onData);
    s.write(text);
  });
}

/** Collects the ingest log lines written until stop(). */
function captureLog(): { lines: string[]; stop(): void } {
  const lines: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    if (String(chunk).includes('"role":"ingest"')) lines.push(String(chunk));
    return write(chunk, ...rest);
  }) as typeof process.stdout.write;
  return { lines, stop: () => void (process.stdout.write = write) };
}

async function until(check: () => boolean, ms = 3000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end && !check(); ) await sleep(50);
}

after(() => rmSync(tmp, { recursive: true, force: true }));

describe("self-signed certificate", () => {
  it("creates a matching pair for localhost with a private key file, and reuses it", () => {
    const dir = path.join(tmp, "self");
    const first = ensureSelfSignedCertificate(dir);
    const cert = new X509Certificate(readFileSync(first.certFile));
    assert.match(cert.subject, /CN=localhost/);
    assert.match(cert.subjectAltName ?? "", /DNS:localhost/);
    assert.match(cert.subjectAltName ?? "", /IP Address:127\.0\.0\.1/);
    assert.equal(statSync(first.keyFile).mode & 0o777, 0o600);
    assert.equal(statSync(dir).mode & 0o077, 0);
    const again = ensureSelfSignedCertificate(dir);
    assert.deepEqual(again, first);
    assert.equal(fingerprintOf(again), cert.fingerprint256);
  });
  it("makes a new pair when the files do not match", () => {
    const dir = path.join(tmp, "mismatch");
    const first = ensureSelfSignedCertificate(dir);
    const before = fingerprintOf(first);
    writeFileSync(first.keyFile, "not a key");
    const second = ensureSelfSignedCertificate(dir);
    assert.notEqual(fingerprintOf(second), before);
  });
});

describe("RTMPS listener", () => {
  const live = { certFile: path.join(tmp, "live-cert.pem"), keyFile: path.join(tmp, "live-key.pem") };
  let a: CertificateFiles;
  let b: CertificateFiles;
  const servers: tls.Server[] = [];
  const serverSockets: net.Socket[] = [];
  const clients: net.Socket[] = [];

  const echo = (socket: tls.TLSSocket) => {
    serverSockets.push(socket);
    socket.on("error", () => {});
    socket.on("data", (d) => socket.write(d));
  };
  async function listen(opts: Omit<Parameters<typeof startRtmpsListener<ProxySource | null>>[0], "port" | "bind" | "certFile" | "keyFile">) {
    const server = startRtmpsListener({ port: 0, bind: "127.0.0.1", ...live, watchIntervalMs: 50, ...opts });
    servers.push(server);
    await new Promise((resolve) => server.once("listening", resolve));
    return (server.address() as net.AddressInfo).port;
  }
  async function waitForFingerprint(port: number, expected: string) {
    for (const end = Date.now() + 3000; Date.now() < end; await sleep(50)) {
      const s = await connect(port);
      const seen = s.getPeerCertificate().fingerprint256;
      s.destroy();
      if (seen === expected) return;
    }
    assert.fail(`the listener did not start serving ${expected}`);
  }

  before(() => {
    a = ensureSelfSignedCertificate(path.join(tmp, "a"));
    b = ensureSelfSignedCertificate(path.join(tmp, "b"));
    copyFileSync(a.certFile, live.certFile);
    copyFileSync(a.keyFile, live.keyFile);
  });
  after(async () => {
    for (const s of [...clients, ...serverSockets]) s.destroy();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });

  it("serves RTMP bytes over TLS and takes a renewed certificate without dropping connections", async () => {
    const port = await listen({ onConnection: echo });
    const first = await connect(port);
    clients.push(first);
    assert.equal(first.getPeerCertificate().fingerprint256, fingerprintOf(a));
    assert.equal(await roundTrip(first, "\x03hello"), "\x03hello");

    const log = captureLog();
    try {
      // Replaced the way renewals do it: new files renamed over the old ones.
      copyFileSync(b.keyFile, `${live.keyFile}.new`);
      copyFileSync(b.certFile, `${live.certFile}.new`);
      renameSync(`${live.keyFile}.new`, live.keyFile);
      renameSync(`${live.certFile}.new`, live.certFile);
      await waitForFingerprint(port, fingerprintOf(b));
    } finally {
      log.stop();
    }
    assert.ok(log.lines.some((l) => l.includes("RTMPS certificate reloaded") && l.includes(fingerprintOf(b))), log.lines.join(""));
    assert.equal(await roundTrip(first, "still here"), "still here");
    assert.equal(first.getPeerCertificate().fingerprint256, fingerprintOf(a), "an open connection keeps its certificate");
  });

  it("keeps the working certificate when the files turn invalid", async () => {
    const port = (servers[0].address() as net.AddressInfo).port;
    const log = captureLog();
    try {
      writeFileSync(live.certFile, "-----BEGIN CERTIFICATE-----\nnonsense\n-----END CERTIFICATE-----\n");
      await until(() => log.lines.length > 0);
      const s = await connect(port);
      clients.push(s);
      assert.equal(s.getPeerCertificate().fingerprint256, fingerprintOf(b));
      assert.equal(await roundTrip(s, "ok"), "ok");
      // A certificate with someone else's key is refused too.
      copyFileSync(a.certFile, live.certFile);
      await until(() => log.lines.length > 1);
    } finally {
      log.stop();
    }
    assert.equal(log.lines.filter((l) => l.includes("reload failed")).length, 2, log.lines.join(""));
    assert.match(log.lines[1], /mismatch/);
    await waitForFingerprint(port, fingerprintOf(b));
  });

  it("refuses to start on files that are not a certificate and its key", () => {
    assert.throws(() => startRtmpsListener({ port: 0, bind: "127.0.0.1", certFile: b.certFile, keyFile: a.keyFile, onConnection: echo }));
    assert.throws(() => startRtmpsListener({ port: 0, bind: "127.0.0.1", certFile: path.join(tmp, "missing.pem"), keyFile: a.keyFile, onConnection: echo }));
  });

  it("reads a PROXY header before the handshake and hands its source to the connection", async () => {
    copyFileSync(b.certFile, live.certFile);
    const port = await listen({
      beforeTls: (raw) => readProxyHeader(raw, 1000).then((r) => r.source),
      onConnection: (socket, source) => {
        echo(socket);
        socket.write(JSON.stringify(source));
      },
    });
    const raw = net.connect(port, "127.0.0.1");
    clients.push(raw);
    await new Promise((resolve) => raw.once("connect", resolve));
    raw.write("PROXY TCP4 203.0.113.9 10.0.0.1 5555 1935\r\n");
    const s = await connect(port, raw);
    clients.push(s);
    const greeting = await new Promise<string>((resolve) => s.once("data", (d) => resolve(d.toString())));
    assert.deepEqual(JSON.parse(greeting), { address: "203.0.113.9", port: 5555 });
    assert.equal(await roundTrip(s, "echo"), "echo");

    // Straight TLS without the header is not a PROXY header: dropped.
    await assert.rejects(connect(port));
  });
});

describe("npm start's RTMPS defaults", () => {
  const KEYS = ["RTMPS_PORT", "RTMPS_BIND", "RTMPS_CERT_FILE", "RTMPS_KEY_FILE"] as const;
  const saved = Object.fromEntries(KEYS.map((k) => [k, process.env[k]]));
  const reset = () => {
    for (const k of KEYS) delete process.env[k];
    process.env.RTMPS_BIND = "127.0.0.1";
  };
  after(() => {
    for (const k of KEYS) saved[k] === undefined ? delete process.env[k] : (process.env[k] = saved[k]);
  });
  const freePort = () =>
    new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, "127.0.0.1", () => {
        const { port } = s.address() as net.AddressInfo;
        s.close(() => resolve(port));
      });
    });

  it("turns RTMPS on with a certificate of its own when nothing is set", async () => {
    reset();
    const port = await freePort();
    assert.deepEqual(await prepareRtmps(path.join(tmp, "start"), port), { selfSigned: true });
    assert.equal(process.env.RTMPS_PORT, String(port));
    assert.equal(process.env.RTMPS_CERT_FILE, path.join(tmp, "start", "cert.pem"));
    assert.equal(process.env.RTMPS_KEY_FILE, path.join(tmp, "start", "key.pem"));
  });
  it("leaves RTMPS off when the default port is taken, and when RTMPS_PORT=0", async () => {
    reset();
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    try {
      assert.deepEqual(await prepareRtmps(path.join(tmp, "busy"), (busy.address() as net.AddressInfo).port), { selfSigned: false });
      assert.equal(process.env.RTMPS_PORT, undefined);
    } finally {
      busy.close();
    }
    reset();
    process.env.RTMPS_PORT = "0";
    assert.deepEqual(await prepareRtmps(path.join(tmp, "off")), { selfSigned: false });
    assert.equal(process.env.RTMPS_PORT, "0");
    assert.equal(process.env.RTMPS_CERT_FILE, undefined);
  });
  it("keeps a port and certificate that were given", async () => {
    reset();
    Object.assign(process.env, { RTMPS_PORT: "8443", RTMPS_CERT_FILE: "/etc/tls/c.pem", RTMPS_KEY_FILE: "/etc/tls/k.pem" });
    assert.deepEqual(await prepareRtmps(path.join(tmp, "given")), { selfSigned: false });
    assert.deepEqual([process.env.RTMPS_PORT, process.env.RTMPS_CERT_FILE, process.env.RTMPS_KEY_FILE], ["8443", "/etc/tls/c.pem", "/etc/tls/k.pem"]);
  });
});
