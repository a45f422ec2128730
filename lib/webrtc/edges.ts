// The registry of running edges, the protocol between the edges and the two roles that
// need to find them: every edge announces itself here every few seconds (where workers
// send it RTP, where the web app relays signaling to, how many WebRTC viewers it has
// and takes); workers' RTP relays send every session to every edge listed, and the
// web app hands each new /ws/ connection to the edge with the most room. An edge that
// stops announcing (killed, or its host gone) drops out after EDGE_STALE_MS.
import { redis } from "../redis.ts";
import { REDIS_KEY } from "../redisKeys.ts";

export const EDGE_HEARTBEAT_MS = 2000;
/** An announcement older than this is an edge that is gone. */
export const EDGE_STALE_MS = 10_000;

export interface EdgeAnnouncement {
  id: string;
  /** Where workers send this edge RTP (UDP). */
  rtp: { host: string; port: number };
  /** Where the web app relays /ws/<channel> WebSockets to (http://host:port). */
  signalingUrl: string;
  viewers: number;
  maxViewers: number;
  /** Epoch ms of the announcement. */
  at: number;
}

export async function announceEdge(a: EdgeAnnouncement): Promise<void> {
  await redis().hset(REDIS_KEY.edges(), a.id, JSON.stringify(a));
}

/** Taken out at once on a clean shutdown (no viewer is sent to it meanwhile). */
export async function withdrawEdge(id: string): Promise<void> {
  await redis().hdel(REDIS_KEY.edges(), id);
}

export function parseAnnouncement(raw: string): EdgeAnnouncement | null {
  try {
    const a = JSON.parse(raw) as EdgeAnnouncement;
    const ok =
      typeof a.id === "string" &&
      typeof a.rtp?.host === "string" &&
      Number.isInteger(a.rtp?.port) &&
      typeof a.signalingUrl === "string" &&
      Number.isFinite(a.viewers) &&
      Number.isFinite(a.maxViewers) &&
      Number.isFinite(a.at);
    return ok ? a : null;
  } catch {
    return null;
  }
}

/** Edges that announced themselves lately; entries of long-gone edges are cleared on the way. */
export async function liveEdges(now = Date.now()): Promise<EdgeAnnouncement[]> {
  const all = await redis().hgetall(REDIS_KEY.edges());
  const live: EdgeAnnouncement[] = [];
  const gone: string[] = [];
  for (const [id, raw] of Object.entries(all)) {
    const a = parseAnnouncement(raw);
    if (a && now - a.at <= EDGE_STALE_MS) live.push(a);
    // Much older than stale: nobody restarts under that id any more.
    else if (!a || now - a.at > 30 * EDGE_STALE_MS) gone.push(id);
  }
  if (gone.length) await redis().hdel(REDIS_KEY.edges(), ...gone);
  return live.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}

/**
 * The edge a new viewer goes to: the one with the lowest share of its capacity in use,
 * counting `recentlySent` (connections handed to it since its last announcement, which
 * that announcement could not know of yet), so a burst spreads instead of piling onto
 * the edge that looked emptiest a second ago. Null when every edge is full or none runs.
 */
export function pickEdge(edges: EdgeAnnouncement[], recentlySent: (edge: EdgeAnnouncement) => number = () => 0): EdgeAnnouncement | null {
  let best: EdgeAnnouncement | null = null;
  let bestLoad = Infinity;
  for (const e of edges) {
    if (e.maxViewers <= 0) continue;
    const viewers = e.viewers + recentlySent(e);
    if (viewers >= e.maxViewers) continue;
    const load = viewers / e.maxViewers;
    if (load < bestLoad) {
      best = e;
      bestLoad = load;
    }
  }
  return best;
}
