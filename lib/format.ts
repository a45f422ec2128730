// Deterministic formatting (server and browser render the same text, so no hydration mismatch).

export function formatDate(value: string | Date): string {
  const d = typeof value === "string" ? new Date(value) : value;
  return d.toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

/** "3.2 GB", "640 MB": sizes as the dashboards show them (decimal units, like disks are sold). */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(bytes >= 1e10 ? 0 : 1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(bytes >= 1e7 ? 0 : 1)} MB`;
  return `${Math.max(0, Math.round(bytes / 1e3))} kB`;
}
