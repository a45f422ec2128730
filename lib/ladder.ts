// The ABR ladder: "1080p60@6000k|720p30@2500k|480p30@1200k|source".
// Parsed once here; the dashboard form, the channel settings and the transcoder all use it.

export interface Rung {
  /** The picture's SHORTER side: the height of a landscape picture, the width of a
   * portrait one, so "720p" means the same quality whichever way the phone is held. */
  height: number;
  fps: number;
  videoKbps: number;
  /** "720p30" */
  name: string;
}

export interface Ladder {
  rungs: Rung[]; // tallest first
  /** Also offer the source as-is (stream copy, no re-encode). */
  passthrough: boolean;
}

export class LadderError extends Error {}

const RUNG = /^(\d{2,4})p(\d{1,3})@(\d+(?:\.\d+)?)([kKmM])$/;
const PASSTHROUGH = new Set(["source", "passthrough"]);

export function parseLadder(text: string): Ladder {
  const trimmed = text.trim();
  if (trimmed === "") throw new LadderError("The ladder is empty: give at least one rung such as 720p30@2500k.");
  const parts = trimmed.split("|").map((p) => p.trim());
  const rungs: Rung[] = [];
  let passthrough = false;
  parts.forEach((part, i) => {
    const where = `rung ${i + 1} ("${part.slice(0, 30)}")`;
    if (part === "") throw new LadderError(`Rung ${i + 1} is empty: remove the extra "|".`);
    if (PASSTHROUGH.has(part.toLowerCase())) {
      if (passthrough) throw new LadderError(`${where}: "source" is listed twice.`);
      passthrough = true;
      return;
    }
    const m = RUNG.exec(part);
    if (!m) {
      throw new LadderError(`${where} is not of the form <height>p<fps>@<bitrate>k, e.g. 720p30@2500k, or "source".`);
    }
    const height = Number(m[1]);
    const fps = Number(m[2]);
    const kbps = Math.round(Number(m[3]) * (m[4].toLowerCase() === "m" ? 1000 : 1));
    if (height < 144 || height > 2160) throw new LadderError(`${where}: height must be 144–2160 pixels.`);
    if (height % 2 !== 0) throw new LadderError(`${where}: height must be even (H.264 needs it).`);
    if (fps < 1 || fps > 120) throw new LadderError(`${where}: frame rate must be 1–120.`);
    if (kbps < 100 || kbps > 50000) throw new LadderError(`${where}: bitrate must be 100k–50000k.`);
    const name = `${height}p${fps}`;
    if (rungs.some((r) => r.height === height)) throw new LadderError(`${where}: a ${height}p rung is listed twice.`);
    rungs.push({ height, fps, videoKbps: kbps, name });
  });
  if (rungs.length === 0 && !passthrough) throw new LadderError("The ladder has no rungs.");
  rungs.sort((a, b) => b.height - a.height);
  return { rungs, passthrough };
}

export function formatLadder(ladder: Ladder): string {
  const parts = ladder.rungs.map((r) => `${r.name}@${r.videoKbps}k`);
  if (ladder.passthrough) parts.push("source");
  return parts.join("|");
}

/** What the rules below need to know about a source. */
export interface SourceShape {
  width: number;
  height: number;
  /** 0 or absent when unknown. */
  fps?: number;
}

// A rung made for a source smaller than every rung never goes below this: under it
// the picture falls apart faster than the bits saved are worth.
const MIN_FALLBACK_KBPS = 200;

const evenDown = (n: number) => Math.max(2, Math.floor(n / 2) * 2);
const evenNearest = (n: number) => Math.max(2, Math.round(n / 2) * 2);

function sides(source: SourceShape): { short: number; long: number } {
  const { width, height } = source;
  if (!Number.isFinite(width) || !Number.isFinite(height) || width < 2 || height < 2) {
    throw new LadderError(`The source size ${width}x${height} is unknown or too small to encode.`);
  }
  return { short: Math.min(width, height), long: Math.max(width, height) };
}

/** Output frame rate of a rung: never above the source's. Sources say 29.97 or
 * 59.94 (or a jittery average), so compare against the nearest whole number. */
export function outputFps(rungFps: number, sourceFps: number | undefined): number {
  if (!sourceFps || !Number.isFinite(sourceFps) || sourceFps <= 0) return rungFps;
  return Math.min(rungFps, Math.max(1, Math.round(sourceFps)));
}

/**
 * Picture size of a rung whose shorter side is `short`, in the source's orientation
 * and aspect ratio, both sides even (4:2:0 H.264 needs it), never larger than the
 * source. A rung at the source's own short side is the source size rounded down to
 * even, so it is never scaled by a fraction of a pixel.
 */
export function rungSize(short: number, source: SourceShape): { width: number; height: number } {
  const src = sides(source);
  const s = Math.min(evenNearest(short), evenDown(src.short));
  // The nearest even value of the exact ratio, not of a pre-rounded one: 1366x768 at
  // 720 is 1280.6 wide, and 1280 is closer than 1282.
  const long = s >= evenDown(src.short) ? evenDown(src.long) : Math.min(evenNearest((s * src.long) / src.short), evenDown(src.long));
  return source.width >= source.height ? { width: long, height: s } : { width: s, height: long };
}

/**
 * The rungs to encode for a source: those whose short side fits within the source's
 * (we never upscale). A source smaller than every rung (a 320x240 webcam) still gets
 * one rung, at its own size, so a stream never fails for being small.
 */
export function rungsForSource(ladder: Ladder, source: SourceShape): Rung[] {
  if (ladder.rungs.length === 0) return [];
  const src = sides(source);
  const fit = ladder.rungs.filter((r) => r.height <= src.short);
  if (fit.length) return fit;
  return [sourceSizeRung(ladder.rungs.reduce((a, b) => (b.height < a.height ? b : a)), source)];
}

/** The one rung of a source smaller than `smallest`: its bitrate is the smallest rung's
 * scaled by pixel count (at the source's aspect ratio), within [200k, that rung's]. */
function sourceSizeRung(smallest: Rung, source: SourceShape): Rung {
  const src = sides(source);
  const { width, height } = rungSize(src.short, source);
  const rungPixels = smallest.height * smallest.height * (src.long / src.short);
  const scaled = Math.round((smallest.videoKbps * width * height) / rungPixels);
  const videoKbps = Math.min(smallest.videoKbps, Math.max(MIN_FALLBACK_KBPS, scaled));
  const short = Math.min(width, height);
  const fps = outputFps(smallest.fps, source.fps);
  return { height: short, fps, videoKbps, name: `${short}p${fps}` };
}
