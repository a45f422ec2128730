// Who may talk RTMP to ingest at all: refuses addresses that guessed too many
// stream keys, drops connections that neither publish nor get anywhere, and
// contains node-media-server's parser so malformed bytes close one connection,
// never the process.
import type net from "node:net";
import { config } from "../lib/config.ts";
import { logger } from "../lib/log.ts";
import { blockedFor, hit, type Counter } from "../lib/rateLimit.ts";
import { REDIS_KEY } from "../lib/redisKeys.ts";
import { Context, RtmpSession, type NmsSession } from "./nms.ts";

const log = logger("ingest");

const failureCounter = (ip: string): Counter => ({
  key: REDIS_KEY.ingestBadKeys(ip),
  max: config.ingestMaxKeyFailures,
  windowSeconds: config.ingestFailureWindowSeconds,
});
// Local copy of blocked addresses, so a flood from one is dropped without a Redis round trip.
const blockedUntil = new Map<string, number>();

export function addressOf(socket: net.Socket): string {
  return (socket.remoteAddress ?? "unknown").replace(/^::ffff:/, "");
}

export async function isBlocked(ip: string): Promise<boolean> {
  const local = blockedUntil.get(ip);
  if (local && local > Date.now()) return true;
  const wait = await blockedFor([failureCounter(ip)]);
  if (wait > 0) blockedUntil.set(ip, Date.now() + wait * 1000);
  return wait > 0;
}

/** A bad stream key or application: close, and count it against the address. */
export async function refuseBadKey(session: NmsSession, ip: string, reason: string): Promise<void> {
  log.warn("publish refused", { reason, ip, conn: session.id });
  session.socket.destroy();
  await hit([failureCounter(ip)]).catch(() => {});
  if (await isBlocked(ip)) log.warn("address refused for repeated bad stream keys", { ip });
}

export function onConnection(socket: net.Socket): void {
  const ip = addressOf(socket);
  socket.setNoDelay(true);
  // Until a publish is verified, an idle connection is dropped.
  socket.setTimeout(config.ingestHandshakeTimeoutSeconds * 1000, () => socket.destroy());
  socket.on("error", () => {});
  isBlocked(ip).then(
    (blocked) => {
      if (blocked) return socket.destroy();
      if (socket.destroyed) return;
      const session = new RtmpSession(socket);
      // NMS parses untrusted bytes inside a socket 'data' handler; an exception there
      // would end the process. Contain it to this connection.
      const parse = session.onData;
      session.onData = (data: Buffer) => {
        try {
          parse(data);
        } catch (err) {
          log.warn("malformed RTMP data; connection closed", { ip, error: (err as Error).message.slice(0, 120) });
          socket.destroy();
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
