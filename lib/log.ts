// Structured one-line logs. Everything passes through redact(), so a stream key
// or session token that slips into a message never reaches the log.

const SECRET_PATTERNS: [RegExp, string][] = [
  [/lh_live_[A-Za-z0-9]+/g, "lh_live_[redacted]"],
  // API tokens and webhook signing secrets (lib/apiTokens.ts, lib/webhooks/store.ts), and any bearer credential.
  [/lh_api_[A-Za-z0-9_-]+/g, "lh_api_[redacted]"],
  [/whsec_[A-Za-z0-9_-]+/g, "whsec_[redacted]"],
  [/(\bBearer\s+)[^\s",;]+/gi, "$1[redacted]"],
  [/(lh_session=)[^;\s]+/g, "$1[redacted]"],
  [/("?password"?\s*[:=]\s*)"[^"]*"/gi, '$1"[redacted]"'],
  // One-time account links (lib/accountLinks.ts) and credentials in URLs such as SMTP_URL.
  [/(\/(?:reset-password|confirm-email)\/)[A-Za-z0-9_-]+/g, "$1[redacted]"],
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/"]*:)[^\s@/"]+@/gi, "$1[redacted]@"],
];

export function redact(text: string): string {
  let out = text;
  for (const [re, by] of SECRET_PATTERNS) out = out.replace(re, by);
  return out;
}

type Fields = Record<string, unknown>;

function emit(level: "info" | "warn" | "error", role: string, msg: string, fields?: Fields) {
  const line = JSON.stringify({ t: new Date().toISOString(), level, role, msg, ...fields });
  (level === "error" ? process.stderr : process.stdout).write(redact(line) + "\n");
}

export function logger(role: string) {
  return {
    info: (msg: string, fields?: Fields) => emit("info", role, msg, fields),
    warn: (msg: string, fields?: Fields) => emit("warn", role, msg, fields),
    error: (msg: string, fields?: Fields) => emit("error", role, msg, fields),
  };
}
