// Ingest's public listeners: RTMP on RTMP_PORT, and RTMPS on RTMPS_PORT when it
// is set. Both hand every connection to admission.ts with the real client's
// address. With INGEST_PROXY_PROTOCOL, a connection from a trusted proxy
// (INGEST_PROXY_TRUSTED) must start with a PROXY protocol header (v1 or v2) and
// the address in it is the client's; from anyone else a connection is a direct
// client's, and a PROXY header it sends is just bytes that are not RTMP. So a
// stranger can never choose the address its limits are counted against.
import net from "node:net";
import type tls from "node:tls";
import { config } from "../lib/config.ts";
import { logger } from "../lib/log.ts";
import { admit, peerAddress } from "./admission.ts";
import { trustedProxyMatcher } from "../lib/addresses.ts";
import { readProxyHeader } from "./proxyProtocol.ts";
import { startRtmpsListener } from "./tlsListener.ts";

const log = logger("ingest");

/** The client address of a new connection: its peer's, or the one a trusted proxy's header names. */
function clientAddress(socket: net.Socket, trusted: (address: string) => boolean): Promise<string> {
  const peer = peerAddress(socket);
  if (!config.ingestProxyProtocol || !trusted(peer)) return Promise.resolve(peer);
  return readProxyHeader(socket, config.ingestHandshakeTimeoutSeconds * 1000).then(({ source }) => source?.address ?? peer);
}

export function startListeners(): { close(): void } {
  const trusted = trustedProxyMatcher(config.ingestProxyTrusted);
  const refusedHeader = (peer: string) => (err: unknown) => log.warn("connection closed: bad PROXY protocol header from a trusted proxy", { ip: peer, error: String(err).slice(0, 120) });

  const rtmp = net.createServer((socket) => {
    socket.on("error", () => {});
    clientAddress(socket, trusted).then((ip) => admit(socket, ip), refusedHeader(peerAddress(socket)));
  });
  rtmp.on("error", (err) => {
    log.error("RTMP listener failed", { error: String(err) });
    process.exit(1);
  });
  rtmp.listen(config.rtmpPort, config.rtmpBind, () => log.info("listening", { rtmp: `rtmp://${config.rtmpBind}:${config.rtmpPort}/live` }));

  let rtmps: tls.Server | null = null;
  if (config.rtmpsPort) {
    rtmps = startRtmpsListener<string>({
      port: config.rtmpsPort,
      bind: config.rtmpsBind,
      certFile: config.rtmpsCertFile,
      keyFile: config.rtmpsKeyFile,
      handshakeTimeoutMs: config.ingestHandshakeTimeoutSeconds * 1000,
      // The PROXY header comes before the TLS handshake on the wire.
      beforeTls: (raw) => clientAddress(raw, trusted).catch((err) => {
        refusedHeader(peerAddress(raw))(err);
        throw err;
      }),
      onConnection: (socket, ip) => admit(socket, ip ?? peerAddress(socket)),
    });
    // TLS handshakes happen before admission sees a connection: a ceiling at the socket level too.
    rtmps.maxConnections = config.ingestMaxConnections;
    rtmps.on("error", (err) => {
      log.error("RTMPS listener failed", { error: String(err) });
      process.exit(1);
    });
  }
  return {
    close() {
      rtmp.close();
      rtmps?.close();
    },
  };
}
