// Why a live ffmpeg run ended badly, from the tail of its stderr: whether a
// retry can help, and what to tell the creator when it cannot. Pure.

export type FailureKind =
  /** ingest has no spool for the part (never spooled there, or removed): nothing more to transcode. */
  | "source-gone"
  /** a newer attempt is reading the part: this one must stop. */
  | "superseded"
  /** the source cannot be decoded or has no usable stream: retrying will not help. */
  | "unsupported"
  /** the disk under the scratch directory is full: retry once there is room, losing nothing. */
  | "storage-full"
  | "transient";

const RULES: { kind: FailureKind; test: RegExp; reason?: string }[] = [
  { kind: "source-gone", test: /404 Not Found/ },
  { kind: "superseded", test: /409 Conflict/ },
  { kind: "storage-full", test: /No space left on device|Disk quota exceeded/i },
  { kind: "unsupported", test: /Decoder \(codec [^)]*\) not found|Unsupported codec|codec not currently supported|is not supported in this build/i, reason: "Livehouse cannot decode the stream's format" },
  { kind: "unsupported", test: /matches no streams|does not contain any stream|Output file #\d+ does not contain any stream/i, reason: "The stream has no video that Livehouse can use" },
];

export function classifyFfmpegFailure(stderrTail: string[]): { kind: FailureKind; reason: string | null } {
  const text = stderrTail.join("\n");
  for (const r of RULES) if (r.test.test(text)) return { kind: r.kind, reason: r.reason ?? null };
  return { kind: "transient", reason: null };
}

/** The creator-facing sentence for a transcode that gave up. */
export function failureMessage(reason: string | null, stderrTail: string[]): string {
  const detail = stderrTail.filter((l) => !/^\s*(Input|Output|Stream|Metadata|Duration|encoder|handler_name)/.test(l)).slice(-1)[0]?.trim();
  const base = reason ?? "The stream could not be transcoded";
  return `${base}${detail ? ` (ffmpeg: ${detail.slice(0, 160)})` : ""}. Check your encoder's settings (H.264 video, AAC audio) and start the stream again.`;
}
