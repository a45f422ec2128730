// A live session keeps one master playlist for its whole life, while the source
// under it may change: a publisher reconnecting from another device, or a
// transcoder shedding load. These pure rules decide what a later part encodes so
// that every rendition the master promised keeps receiving segments.
import type { Ladder, Rung } from "../ladder.ts";
import type { Rendition, SourceInfo } from "./liveLadder.ts";

const shortSide = (r: { width: number; height: number }) => Math.min(r.width, r.height);
const evenDown = (n: number) => Math.max(2, Math.floor(n / 2) * 2);

/** The master's rungs that fit a (possibly smaller) source of a later part, under the
 * master's names. A source smaller than all of them still encodes the smallest one, at
 * its own short side, so the session never goes dark. */
export function ladderWithinMaster(master: Rendition[], source: SourceInfo): Ladder {
  const encoded = master.filter((r) => !r.passthrough);
  const srcShort = shortSide(source);
  const fit = encoded.filter((r) => shortSide(r) <= srcShort);
  const smallest = encoded.length ? [encoded.reduce((a, b) => (shortSide(b) < shortSide(a) ? b : a))] : [];
  const rungs = (fit.length ? fit : smallest).map((r) => ({
    height: Math.min(shortSide(r), evenDown(srcShort)),
    fps: r.fps,
    videoKbps: r.videoKbps,
    name: r.name,
  }));
  return { rungs, passthrough: master.some((r) => r.passthrough) };
}

/** Which playlists each encoded rendition feeds: its own, plus master renditions it
 * stands in for (the best one it has that is no larger; nothing is upscaled). */
export function aliasRenditions(master: Rendition[], encoded: Rendition[]): Map<string, string[]> {
  const out = new Map<string, string[]>(encoded.map((r) => [r.name, [] as string[]]));
  const bySize = encoded.filter((r) => !r.passthrough).sort((a, b) => shortSide(b) - shortSide(a));
  for (const m of master) {
    const stand = encoded.find((r) => r.name === m.name) ?? bySize.find((r) => shortSide(r) <= shortSide(m)) ?? bySize.at(-1) ?? encoded[0];
    out.get(stand.name)!.push(m.name);
  }
  return out;
}

/** The ladder without its n most expensive encoded rungs (largest first, then the
 * higher frame rate), for a transcoder that cannot keep up. The last encoded rung and
 * a "source" passthrough (a stream copy, nearly free) always stay. */
export function dropTopRungs(ladder: Ladder, n: number): Ladder {
  const count = Math.max(0, Math.min(Math.floor(n), ladder.rungs.length - 1));
  const byCost = [...ladder.rungs].sort((a, b) => b.height - a.height || b.fps - a.fps || b.videoKbps - a.videoKbps);
  const dropped = new Set<Rung>(byCost.slice(0, count));
  return { rungs: ladder.rungs.filter((r) => !dropped.has(r)), passthrough: ladder.passthrough };
}
