// Deterministic formatting (server and browser render the same text, so no hydration mismatch).

export function formatDate(value: string | Date): string {
  const d = typeof value === "string" ? new Date(value) : value;
  return d.toISOString().slice(0, 16).replace("T", " ") + " UTC";
}
