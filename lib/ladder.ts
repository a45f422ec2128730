// The ABR ladder: "1080p60@6000k|720p30@2500k|480p30@1200k|source".
// Parsed once here; the dashboard form, the channel settings and the transcoder all use it.

export interface Rung {
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

/** Rungs no taller than the source: we never upscale. */
export function rungsForSource(ladder: Ladder, sourceHeight: number): Rung[] {
  return ladder.rungs.filter((r) => r.height <= sourceHeight);
}
