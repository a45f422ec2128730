// Links to a moment of a replay: `?t=1m30s` (also `?t=90`, `90s`, `1h2m3s`,
// `1:30`, `1:02:03`), as other video sites write them. Pure: the replay page
// reads it on the server, the "Copy link at current time" button writes it.

/** Longer than any replay can be (a week); larger values are not a time. */
const MAX_SECONDS = 7 * 24 * 3600;

const UNITS = /^(?:(\d{1,6})h)?(?:(\d{1,7})m)?(?:(\d{1,9}(?:\.\d{1,3})?)s?)?$/;
const CLOCK = /^(?:(\d{1,6}):)?(\d{1,7}):(\d{1,2}(?:\.\d{1,3})?)$/;

/**
 * Seconds from a `t` value, or null when there is none or it is not a time
 * (the replay then starts at the beginning, as without it).
 */
export function parseReplayTime(value: string | string[] | null | undefined): number | null {
  const raw = (Array.isArray(value) ? value[0] : value)?.trim().toLowerCase();
  if (!raw) return null;
  let seconds: number;
  const clock = CLOCK.exec(raw);
  if (clock) {
    if (Number(clock[3]) >= 60 || (clock[1] !== undefined && Number(clock[2]) >= 60)) return null;
    seconds = Number(clock[1] ?? 0) * 3600 + Number(clock[2]) * 60 + Number(clock[3]);
  } else {
    const units = UNITS.exec(raw);
    if (!units || (units[1] === undefined && units[2] === undefined && units[3] === undefined)) return null;
    seconds = Number(units[1] ?? 0) * 3600 + Number(units[2] ?? 0) * 60 + Number(units[3] ?? 0);
  }
  return Number.isFinite(seconds) && seconds <= MAX_SECONDS ? seconds : null;
}

/** `t` for a link at `seconds` (whole seconds, rounded down): "1h2m3s", "1m30s", "45s". */
export function formatReplayTime(seconds: number): string {
  const s = Math.max(0, Math.floor(Number.isFinite(seconds) ? seconds : 0));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return `${h ? `${h}h` : ""}${h || m ? `${m}m` : ""}${rest}s`;
}

/** Where a replay starts for a `t` value: within the replay, or at 0. */
export function replayStart(value: string | string[] | null | undefined, durationSeconds: number): number {
  const t = parseReplayTime(value);
  return t !== null && t < durationSeconds ? t : 0;
}
