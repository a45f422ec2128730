// One place that reads the environment. Every variable has a safe default and
// is listed (with that default) in .env.example.

function str(name: string, fallback: string): string {
  const v = process.env[name];
  return v === undefined || v === "" ? fallback : v;
}

function int(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new Error(`${name} must be a whole number, got "${raw}"`);
  return n;
}

function bool(name: string, fallback: boolean): boolean {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  return ["1", "true", "yes", "on"].includes(raw.toLowerCase());
}

export const config = {
  get databaseUrl() {
    return str("DATABASE_URL", "postgresql://postgres:postgres@127.0.0.1:5432/livehouse");
  },
  get redisUrl() {
    return str("REDIS_URL", "redis://127.0.0.1:6379");
  },
  /** Prefix for every Redis key, so several instances (or test runs) can share one Redis. */
  get redisPrefix() {
    return str("REDIS_PREFIX", "lh:");
  },
  get webHost() {
    return str("WEB_HOST", "127.0.0.1");
  },
  get webPort() {
    return int("WEB_PORT", 3000);
  },
  /** Public origin (e.g. https://live.example.org). Empty: derived from each request's Host. */
  get publicUrl() {
    return str("PUBLIC_URL", "");
  },
  /** Believe X-Forwarded-For / -Proto / -Host: only behind a reverse proxy you run. */
  get trustProxy() {
    return bool("TRUST_PROXY", false);
  },
  /** RTMP URL shown to creators. Empty: rtmp://<host of the page>:<RTMP_PORT>/live. */
  get rtmpPublicUrl() {
    return str("RTMP_PUBLIC_URL", "");
  },
  get rtmpPort() {
    return int("RTMP_PORT", 1935);
  },
  get sessionDays() {
    return int("SESSION_DAYS", 30);
  },
  get loginMaxFailuresPerAccount() {
    return int("LOGIN_MAX_FAILURES_PER_ACCOUNT", 5);
  },
  get loginMaxFailuresPerIp() {
    return int("LOGIN_MAX_FAILURES_PER_IP", 20);
  },
  get loginFailureWindowSeconds() {
    return int("LOGIN_FAILURE_WINDOW_SECONDS", 900);
  },
  get signupMaxPerIpPerHour() {
    return int("SIGNUP_MAX_PER_IP_PER_HOUR", 10);
  },
  /** Instance-wide default ABR ladder; channels may override it. */
  get transcodeLadder() {
    return str("TRANSCODE_LADDER", "1080p30@6000k|720p30@2500k|480p30@1200k|360p30@800k");
  },
};
