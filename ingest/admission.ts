// Who may talk RTMP to ingest, and how much an unverified connection may cost.
// Until its publish is verified (a valid stream key), a connection lives under
// limits: an absolute deadline to get there, a minimum byte rate until it asks
// to publish, a cap per client address and a share of the global cap that
// leaves room for verified publishers, and the chunk-level guard
// (rtmpGuard.ts) in front of node-media-server's parser. Breaking a limit
// closes the connection and counts against the address, like a bad key.
//
// Addresses are the real client's: the socket's peer, or the source a trusted
// TCP proxy reported in a PROXY protocol header (listeners.ts).
import type net from "node:net";
import { config } from "../lib/config.ts";
import { logger } from "../lib/log.ts";
import { blockedFor, hit, type Counter } from "../lib/rateLimit.ts";
import { REDIS_KEY } from "../lib/redisKeys.ts";
import { Context, RtmpSession, type NmsSession } from "./nms.ts";
import { canonicalAddress } from "../lib/addresses.ts";
import { RtmpGuard } from "./rtmpGuard.ts";
import { COUNTER, count } from "../lib/metrics.ts";

const log = logger("ingest");

const failureCounter = (ip: string): Counter => ({
  key: REDIS_KEY.ingestBadKeys(ip),
  max: config.ingestMaxKeyFailures,
  windowSeconds: config.ingestFailureWindowSeconds,
});
// Local copy of blocked addresses, so a flood from one is dropped without a Redis round trip.
const blockedUntil = new Map<string, number>();

interface Connection {
  ip: string;
  guard: RtmpGuard;
  openedAt: number;
  bytes: number;
  verified: boolean;
  timers: NodeJS.Timeout[];
}

const connections = new WeakMap<net.Socket, Connection>();
const unverifiedByAddress = new Map<string, number>();
let unverified = 0;
let open = 0;

/** The socket's own peer address (no PROXY header), in one canonical form. */
export function peerAddress(socket: net.Socket): string {
  return socket.remoteAddress ? canonicalAddress(socket.remoteAddress) : "unknown";
}

export function addressOf(socket: net.Socket): string {
  return connections.get(socket)?.ip ?? peerAddress(socket);
}

export async function isBlocked(ip: string): Promise<boolean> {
  const local = blockedUntil.get(ip);
  if (local && local > Date.now()) return true;
  const wait = await blockedFor([failureCounter(ip)]);
  if (wait > 0) blockedUntil.set(ip, Date.now() + wait * 1000);
  return wait > 0;
}

// One line per address and reason every few seconds: a flood must not become a flood of logs.
const lastLogged = new Map<string, number>();
function warnOnce(reason: string, ip: string, extra: Record<string, unknown> = {}): void {
  const key = `${reason}|${ip}`;
  const now = Date.now();
  if ((lastLogged.get(key) ?? 0) > now - 10_000) return;
  lastLogged.set(key, now);
  if (lastLogged.size > 10_000) lastLogged.clear();
  log.warn(reason, { ip, ...extra });
}

async function countAgainst(ip: string): Promise<void> {
  await hit([failureCounter(ip)]).catch(() => {});
  if (await isBlocked(ip).catch(() => false)) warnOnce("address refused for repeated bad stream keys or protocol abuse", ip);
}

/** A bad stream key or application: close, and count it against the address. */
export async function refuseBadKey(session: NmsSession, ip: string, reason: string): Promise<void> {
  log.warn("publish refused", { reason, ip, conn: session.id });
  void count(COUNTER.ingestRefusals, { reason: "stream key" });
  session.socket.destroy();
  await countAgainst(ip);
}

/** Closes a connection that broke an admission limit, and counts it against its address. */
function refuseAbuse(socket: net.Socket, ip: string, reason: string): void {
  if (socket.destroyed) return;
  warnOnce("connection closed", ip, { reason });
  void count(COUNTER.ingestRefusals, { reason: "protocol" });
  socket.destroy();
  void countAgainst(ip);
}

/** The publish's key is valid: the connection leaves the unverified pool and its limits. */
export function markVerified(socket: net.Socket): void {
  const c = connections.get(socket);
  if (!c || c.verified) return;
  c.verified = true;
  for (const t of c.timers) clearTimeout(t);
  c.timers = [];
  c.guard.relax();
  leaveUnverified(c.ip);
}

function leaveUnverified(ip: string): void {
  unverified--;
  const n = (unverifiedByAddress.get(ip) ?? 1) - 1;
  if (n <= 0) unverifiedByAddress.delete(ip);
  else unverifiedByAddress.set(ip, n);
}

/** Every RTMP connection, from any listener, starts here with its real client address. */
export function admit(socket: net.Socket, ip: string): void {
  socket.setNoDelay(true);
  socket.on("error", () => {});
  const reserved = Math.min(config.ingestReservedConnections, config.ingestMaxConnections - 1);
  const perAddress = unverifiedByAddress.get(ip) ?? 0;
  let refusal: string | null = null;
  if (open >= config.ingestMaxConnections) refusal = "ingest is at INGEST_MAX_CONNECTIONS";
  else if (unverified >= config.ingestMaxConnections - reserved) refusal = "too many connections are still unverified";
  else if (perAddress >= config.ingestMaxUnverifiedPerAddress) refusal = "too many unverified connections from this address";
  if (refusal) {
    warnOnce("connection refused", ip, { reason: refusal });
    socket.destroy();
    return;
  }

  const c: Connection = { ip, guard: new RtmpGuard(), openedAt: Date.now(), bytes: 0, verified: false, timers: [] };
  connections.set(socket, c);
  open++;
  unverified++;
  unverifiedByAddress.set(ip, perAddress + 1);
  socket.once("close", () => {
    open--;
    for (const t of c.timers) clearTimeout(t);
    if (!c.verified) leaveUnverified(ip);
  });

  // An absolute deadline, not an idle timer: a trickle of bytes does not keep a slot.
  const deadlineSeconds = config.ingestHandshakeTimeoutSeconds;
  c.timers.push(setTimeout(() => refuseAbuse(socket, ip, `no verified publish within ${deadlineSeconds} s`), deadlineSeconds * 1000));
  // Until it asks to publish, a client must keep sending: the handshake and commands are a few KB.
  const minRate = config.ingestMinBytesPerSecond;
  const rateCheck = () => {
    if (c.verified || socket.destroyed) return;
    const seconds = (Date.now() - c.openedAt) / 1000;
    if (!c.guard.commands.includes("publish") && c.bytes < minRate * seconds) {
      return refuseAbuse(socket, ip, `sent ${c.bytes} bytes in ${seconds.toFixed(0)} s (minimum ${minRate} bytes/s before publishing)`);
    }
    c.timers.push(setTimeout(rateCheck, 1000));
  };
  c.timers.push(setTimeout(rateCheck, 1000));

  isBlocked(ip).then(
    (blocked) => {
      if (blocked) {
        void count(COUNTER.ingestRefusals, { reason: "address blocked" });
        return socket.destroy();
      }
      if (socket.destroyed) return;
      const session = new RtmpSession(socket);
      // NMS parses untrusted bytes inside a socket 'data' handler: the guard sees them
      // first, and an exception in NMS is contained to this connection.
      const parse = session.onData;
      session.onData = (data: Buffer) => {
        c.bytes += data.length;
        const verdict = c.guard.feed(data);
        if (!verdict.ok) return refuseAbuse(socket, ip, verdict.reason);
        try {
          parse(data);
        } catch (err) {
          refuseAbuse(socket, ip, `malformed RTMP data (${(err as Error).message.slice(0, 120)})`);
        }
      };
      session.run();
      Context.sessions.set(session.id, session);
    },
    () => socket.destroy(),
  );
}

/** Workers read spooled sources over the internal HTTP port; nobody plays from the RTMP port. */
export function onPrePlay(session: NmsSession): void {
  log.warn("read refused (RTMP play is not offered)", { ip: addressOf(session.socket), app: String(session.streamApp).slice(0, 20) });
  session.socket.destroy();
}
