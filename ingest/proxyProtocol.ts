// The HAProxy PROXY protocol (v1 text and v2 binary), so ingest behind a TCP
// load balancer sees publishers' own addresses instead of the balancer's: the
// per-address key-failure refusal would otherwise block everyone at once.
// Spec: https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt
//
// The parser is pure and incremental: hand it everything received so far and it
// says whether the header is complete, broken, or needs more bytes. It rejects
// as early as the bytes allow, so a peer that is not a proxy is dropped after
// its first packet rather than after the timeout.
import net from "node:net";
import { canonicalAddress } from "../lib/addresses.ts";

export interface ProxySource {
  address: string;
  port: number;
}

export type ProxyParse =
  | { status: "incomplete" }
  | { status: "error"; reason: string }
  // source null: LOCAL (v2) or UNKNOWN (v1): the proxy speaks for itself (health checks),
  // and the spec says to use the connection's own addresses.
  | { status: "ok"; headerLength: number; source: ProxySource | null };

/** v1 lines are at most 107 bytes including CRLF (spec 2.1). */
export const MAX_V1_LENGTH = 107;
/** 16-byte fixed part + 520 of addresses and TLVs: HAProxy's own buffer (spec 2.2). */
export const MAX_V2_LENGTH = 536;

const V1_PREFIX = Buffer.from("PROXY ", "latin1");
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

const incomplete: ProxyParse = { status: "incomplete" };
const error = (reason: string): ProxyParse => ({ status: "error", reason });

export function parseProxyHeader(buf: Buffer): ProxyParse {
  if (buf.length === 0) return incomplete;
  if (startsLike(buf, V1_PREFIX)) return buf.length < V1_PREFIX.length ? incomplete : parseV1(buf);
  if (startsLike(buf, V2_SIGNATURE)) return buf.length < V2_SIGNATURE.length ? incomplete : parseV2(buf);
  return error("not a PROXY protocol header");
}

/** buf and prefix agree on their common length (buf may be shorter or longer). */
function startsLike(buf: Buffer, prefix: Buffer): boolean {
  const n = Math.min(buf.length, prefix.length);
  return buf.subarray(0, n).equals(prefix.subarray(0, n));
}

function parseV1(buf: Buffer): ProxyParse {
  const window = buf.subarray(0, MAX_V1_LENGTH);
  const lf = window.indexOf(0x0a);
  const end = lf === -1 ? window.length : lf;
  // Checking what has arrived so far catches binary garbage without waiting for 107 bytes.
  for (let i = 0; i < end; i++) {
    const c = window[i];
    // The CR of the CRLF, possibly the last byte so far with its LF still on the way.
    const cr = c === 0x0d && i === end - 1;
    if ((c < 0x20 || c > 0x7e) && !cr) return error("v1 header has a non-printable byte");
  }
  if (lf === -1) return buf.length >= MAX_V1_LENGTH ? error("v1 header longer than 107 bytes") : incomplete;
  if (lf === 0 || window[lf - 1] !== 0x0d) return error("v1 header not ended by CRLF");
  const headerLength = lf + 1;
  const line = window.subarray(0, lf - 1).toString("latin1");
  const fields = line.split(" ");
  const proto = fields[1];
  // The spec lets UNKNOWN carry anything up to the CRLF, to be ignored.
  if (proto === "UNKNOWN") return { status: "ok", headerLength, source: null };
  if (proto !== "TCP4" && proto !== "TCP6") return error(`v1 protocol "${proto.slice(0, 8)}" is not TCP4, TCP6 or UNKNOWN`);
  if (fields.length !== 6) return error("v1 header does not have exactly src, dst, sport and dport");
  const [, , src, dst, sport, dport] = fields;
  const family = proto === "TCP4" ? 4 : 6;
  if (net.isIP(src) !== family || net.isIP(dst) !== family) return error(`v1 addresses are not ${proto} addresses`);
  const port = parsePort(sport);
  if (port === null || parsePort(dport) === null) return error("v1 port is not a number in 0..65535");
  return { status: "ok", headerLength, source: { address: canonicalAddress(src), port } };
}

function parsePort(text: string): number | null {
  if (!/^(0|[1-9][0-9]{0,4})$/.test(text)) return null;
  const n = Number(text);
  return n <= 65535 ? n : null;
}

function parseV2(buf: Buffer): ProxyParse {
  if (buf.length < 13) return incomplete;
  const version = buf[12] >> 4;
  const command = buf[12] & 0x0f;
  if (version !== 2) return error(`v2 version ${version} is not 2`);
  if (command !== 0x0 && command !== 0x1) return error(`v2 command ${command} is neither LOCAL nor PROXY`);
  if (buf.length < 16) return incomplete;
  const familyProtocol = buf[13];
  const length = buf.readUInt16BE(14);
  const headerLength = 16 + length;
  if (headerLength > MAX_V2_LENGTH) return error(`v2 header longer than ${MAX_V2_LENGTH} bytes`);
  if (buf.length < headerLength) return incomplete;
  const body = buf.subarray(16, headerLength);
  // LOCAL: the proxy's own connection (a health check); its address block is to be ignored.
  if (command === 0x0) return { status: "ok", headerLength, source: null };

  let source: ProxySource | null;
  let addressLength: number;
  switch (familyProtocol) {
    case 0x00: // UNSPEC: the proxy does not know; use the connection's addresses.
      source = null;
      addressLength = 0;
      break;
    case 0x11: // TCP over IPv4
      addressLength = 12;
      if (body.length < addressLength) return error("v2 IPv4 address block too short");
      source = { address: [...body.subarray(0, 4)].join("."), port: body.readUInt16BE(8) };
      break;
    case 0x21: // TCP over IPv6
      addressLength = 36;
      if (body.length < addressLength) return error("v2 IPv6 address block too short");
      source = { address: formatIPv6(body.subarray(0, 16)), port: body.readUInt16BE(32) };
      break;
    case 0x31: // unix stream socket: no IP to speak of.
      addressLength = 216;
      if (body.length < addressLength) return error("v2 unix address block too short");
      source = null;
      break;
    default:
      // UDP (0x12, 0x22, 0x32) cannot be what carried a TCP connection; anything else is undefined.
      return error(`v2 family/protocol 0x${familyProtocol.toString(16).padStart(2, "0")} is not a stream`);
  }
  const tlvError = checkTlvs(body.subarray(addressLength));
  if (tlvError) return error(tlvError);
  return { status: "ok", headerLength, source };
}

/** TLVs are skipped, but one that runs past the header means the length field lies. */
function checkTlvs(tlvs: Buffer): string | null {
  let at = 0;
  while (at < tlvs.length) {
    if (tlvs.length - at < 3) return "v2 TLV truncated";
    const len = tlvs.readUInt16BE(at + 1);
    at += 3 + len;
    if (at > tlvs.length) return "v2 TLV runs past the header";
  }
  return null;
}

function formatIPv6(bytes: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return canonicalAddress(groups.join(":"));
}

export class ProxyHeaderError extends Error {}

/**
 * Reads the PROXY header from a new socket, then puts any bytes that came with it
 * back (socket.unshift), so whoever attaches a 'data' handler next sees the stream
 * exactly as the client sent it after the header. Call it before anything else
 * reads the socket. It reads through 'readable' rather than 'data' so that the
 * socket is left neither flowing nor explicitly paused: the next 'data' handler
 * starts the flow as usual, no resume() needed.
 *
 * On a bad header, a timeout, or a socket that ends first, it destroys the socket
 * (its bytes are spent) and rejects with a ProxyHeaderError. It leaves a no-op
 * 'error' listener behind: an error between its answer and the caller's own
 * handlers would otherwise end the process.
 */
export function readProxyHeader(socket: net.Socket, timeoutMs: number): Promise<{ source: ProxySource | null }> {
  return new Promise((resolve, reject) => {
    let received: Buffer = Buffer.alloc(0);
    const finish = (err: ProxyHeaderError | null, source: ProxySource | null = null, rest?: Buffer) => {
      clearTimeout(timer);
      socket.off("readable", onReadable);
      socket.off("end", onEnd);
      socket.off("close", onEnd);
      socket.off("error", onError);
      if (err) {
        socket.destroy();
        reject(err);
        return;
      }
      if (rest && rest.length > 0) socket.unshift(rest);
      resolve({ source });
    };
    const onReadable = () => {
      let chunk: Buffer | null;
      while ((chunk = socket.read() as Buffer | null) !== null) {
        received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
        const parsed = parseProxyHeader(received);
        if (parsed.status === "incomplete") continue;
        if (parsed.status === "error") return finish(new ProxyHeaderError(parsed.reason));
        return finish(null, parsed.source, received.subarray(parsed.headerLength));
      }
    };
    const onEnd = () => finish(new ProxyHeaderError("connection closed before the PROXY header was complete"));
    const onError = (err: Error) => finish(new ProxyHeaderError(`socket error before the PROXY header: ${err.message}`));
    const timer = setTimeout(() => finish(new ProxyHeaderError(`no complete PROXY header within ${timeoutMs} ms`)), timeoutMs);
    socket.on("error", () => {});
    if (socket.destroyed || socket.readableEnded) return onEnd();
    socket.on("readable", onReadable);
    socket.on("end", onEnd);
    socket.on("close", onEnd);
    socket.on("error", onError);
  });
}
