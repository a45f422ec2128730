// RTMPS: RTMP inside TLS, on a port of its own. The certificate is read from
// files and read again whenever they change, so a renewal (certbot, a
// Kubernetes secret, a cron job) takes effect without dropping live publishers:
// connections that are already up keep the context they started with.
import { X509Certificate } from "node:crypto";
import { readFileSync, unwatchFile, watchFile, type Stats } from "node:fs";
import type net from "node:net";
import tls from "node:tls";
import { logger } from "../lib/log.ts";

const log = logger("ingest");

export interface RtmpsListenerOptions<T> {
  port: number;
  bind: string;
  certFile: string;
  keyFile: string;
  /** A publisher's connection once its TLS handshake is done; `accepted` is what beforeTls resolved to. */
  onConnection: (socket: tls.TLSSocket, accepted: T | undefined) => void;
  /**
   * Runs on the raw TCP socket before TLS starts, for what precedes the handshake on
   * the wire (a PROXY protocol header: readProxyHeader). Rejecting drops the connection.
   */
  beforeTls?: (socket: net.Socket) => Promise<T>;
  /** A connection that has not finished its handshake by then is dropped (node's default is 120 s). */
  handshakeTimeoutMs?: number;
  /** How often the certificate files are checked for changes. */
  watchIntervalMs?: number;
}

// A renewal writes two files, not at once; reloading after the last change avoids
// loading a new certificate with the old key in between (it would fail, and be retried anyway).
const SETTLE_MS = 250;

interface Loaded {
  cert: Buffer;
  key: Buffer;
  fingerprint256: string;
  validTo: string;
}

/** Reads and checks the pair; throws with the reason when they are unreadable, invalid or do not match. */
function load(certFile: string, keyFile: string): Loaded {
  const cert = readFileSync(certFile);
  const key = readFileSync(keyFile);
  // Builds a context only to have OpenSSL check the pair: createSecureContext throws on a
  // bad PEM or a key that does not belong to the certificate, and setSecureContext would too,
  // but only after it has changed some of the server's properties.
  tls.createSecureContext({ cert, key });
  const x509 = new X509Certificate(cert);
  return { cert, key, fingerprint256: x509.fingerprint256, validTo: x509.validTo };
}

/**
 * Listens for RTMPS on bind:port. Throws at once when the certificate files are
 * missing or invalid; later changes that are invalid are logged and the previous
 * certificate stays in use. Listen errors are emitted as the server's 'error',
 * as with net.Server. Closing the server stops watching the files.
 */
export function startRtmpsListener<T = undefined>(opts: RtmpsListenerOptions<T>): tls.Server {
  if (!opts.certFile || !opts.keyFile) throw new Error("RTMPS needs a certificate file and its key file (RTMPS_CERT_FILE, RTMPS_KEY_FILE)");
  let current = load(opts.certFile, opts.keyFile);
  const handshakeTimeoutMs = opts.handshakeTimeoutMs ?? 10_000;
  // What beforeTls resolved to, by the TCP connection's peer endpoint: the TLS socket
  // node builds on the raw one is a different object, and the endpoint is what they share.
  const accepted = new Map<string, { value: T }>();
  const endpoint = (s: net.Socket) => `${s.remoteAddress}|${s.remotePort}`;

  const server = tls.createServer({ cert: current.cert, key: current.key, handshakeTimeout: handshakeTimeoutMs }, (socket) => {
    const key = endpoint(socket);
    const entry = accepted.get(key);
    accepted.delete(key);
    opts.onConnection(socket, entry?.value);
  });
  // Failed handshakes (scanners, plain RTMP sent to this port) are the client's problem; not worth a log line each.
  server.on("tlsClientError", () => {});

  if (opts.beforeTls) {
    const beforeTls = opts.beforeTls;
    // tls.Server starts TLS in its own 'connection' listener: held back until beforeTls is done.
    const startTls = server.listeners("connection") as ((this: tls.Server, socket: net.Socket) => void)[];
    server.removeAllListeners("connection");
    server.on("connection", (raw: net.Socket) => {
      raw.on("error", () => {});
      beforeTls(raw).then(
        (value) => {
          if (raw.destroyed) return;
          const key = endpoint(raw);
          const entry = { value };
          accepted.set(key, entry);
          // Past the handshake timeout the TLS socket is gone or has taken its entry.
          setTimeout(() => accepted.get(key) === entry && accepted.delete(key), handshakeTimeoutMs + 1000).unref();
          for (const listener of startTls) listener.call(server, raw);
        },
        () => raw.destroy(),
      );
    });
  }

  let settle: NodeJS.Timeout | undefined;
  const reload = () => {
    let next: Loaded;
    try {
      next = load(opts.certFile, opts.keyFile);
    } catch (err) {
      log.warn("RTMPS certificate reload failed; keeping the previous certificate", {
        error: (err as Error).message.slice(0, 200),
        certFile: opts.certFile,
        keyFile: opts.keyFile,
      });
      return;
    }
    if (next.cert.equals(current.cert) && next.key.equals(current.key)) return;
    server.setSecureContext({ cert: next.cert, key: next.key });
    current = next;
    log.info("RTMPS certificate reloaded", { fingerprint256: next.fingerprint256, validTo: next.validTo });
  };
  const onChange = (curr: Stats, prev: Stats) => {
    if (curr.mtimeMs === prev.mtimeMs && curr.ino === prev.ino && curr.size === prev.size) return;
    clearTimeout(settle);
    settle = setTimeout(reload, SETTLE_MS).unref();
  };
  // Polling rather than fs.watch: renewals usually replace the file (rename, or a symlink
  // swapped as certbot and Kubernetes secrets do), which an inotify watch on the old inode
  // never reports. Two stat calls a second cost nothing.
  const watch = { interval: opts.watchIntervalMs ?? 1000, persistent: false };
  watchFile(opts.certFile, watch, onChange);
  watchFile(opts.keyFile, watch, onChange);
  // Not 'close': that waits for every connection to end, which for a live publisher may be hours.
  const close = server.close.bind(server);
  server.close = (callback?: (err?: Error) => void) => {
    unwatchFile(opts.certFile, onChange);
    unwatchFile(opts.keyFile, onChange);
    clearTimeout(settle);
    return close(callback);
  };

  server.listen(opts.port, opts.bind, () => {
    const { port } = server.address() as net.AddressInfo;
    log.info("listening", { rtmps: `rtmps://${opts.bind}:${port}/live`, fingerprint256: current.fingerprint256, validTo: current.validTo });
  });
  return server;
}
