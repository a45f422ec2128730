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
  /** Failed logins on one account from one address before that address is refused for it. */
  get loginMaxFailuresPerAccount() {
    return int("LOGIN_MAX_FAILURES_PER_ACCOUNT", 5);
  },
  /** Failed logins on one account from anywhere after which each attempt on it is slowed down (never locked). */
  get loginSlowAfterFailures() {
    return int("LOGIN_SLOW_AFTER_FAILURES", 5);
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
  /** Outgoing mail (password resets, email confirmation), e.g. smtps://user:pass@mail.example.org:465. Empty: no mail; the admin hands out reset links. */
  get smtpUrl() {
    return str("SMTP_URL", "");
  },
  /** Sender of that mail. Empty: Livehouse <no-reply@host of PUBLIC_URL>. */
  get mailFrom() {
    return str("MAIL_FROM", "");
  },
  /** Password-reset emails one client address may ask for per hour (one account gets at most 3 an hour). */
  get passwordResetMaxPerIpPerHour() {
    return int("PASSWORD_RESET_MAX_PER_IP_PER_HOUR", 10);
  },
  /** Bind address of the RTMP ingest. */
  get rtmpBind() {
    return str("RTMP_BIND", "0.0.0.0");
  },
  /** RTMPS (RTMP in TLS) port of ingest; 0: no RTMPS listener. */
  get rtmpsPort() {
    return int("RTMPS_PORT", 0);
  },
  /** Bind address of the RTMPS listener; unset: the same as RTMP's. */
  get rtmpsBind() {
    return str("RTMPS_BIND", str("RTMP_BIND", "0.0.0.0"));
  },
  /** PEM certificate (chain) and key for RTMPS; reloaded when they change. */
  get rtmpsCertFile() {
    return str("RTMPS_CERT_FILE", "");
  },
  get rtmpsKeyFile() {
    return str("RTMPS_KEY_FILE", "");
  },
  /** RTMPS URL shown to creators. Empty: rtmps://<host of the page>:<RTMPS_PORT>/live when RTMPS_PORT is set. */
  get rtmpsPublicUrl() {
    return str("RTMPS_PUBLIC_URL", "");
  },
  /** Ingest's connections start with a PROXY protocol header (v1 or v2) from a TCP load balancer. */
  get ingestProxyProtocol() {
    return bool("INGEST_PROXY_PROTOCOL", false);
  },
  /** Peers allowed to send that header (addresses and CIDR ranges); nobody else can claim an address. */
  get ingestProxyTrusted() {
    return str("INGEST_PROXY_TRUSTED", "127.0.0.1,::1")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  },
  /** Where ingest serves spooled sources to workers (HTTP, signed reads only). */
  get ingestInternalPort() {
    return int("INGEST_INTERNAL_PORT", 1936);
  },
  get ingestInternalBind() {
    return str("INGEST_INTERNAL_BIND", "127.0.0.1");
  },
  /** How workers reach ingest's internal port (never the public URL). */
  get ingestInternalUrl() {
    const url = str("INGEST_INTERNAL_URL", `http://127.0.0.1:${int("INGEST_INTERNAL_PORT", 1936)}`);
    if (!/^https?:\/\//.test(url)) {
      throw new Error(`INGEST_INTERNAL_URL must be ingest's internal HTTP address (e.g. http://ingest:1936), got "${url}"`);
    }
    return url.replace(/\/+$/, "");
  },
  /** Ingest keeps each live part's source here until it is transcoded (see ingest/spool.ts). */
  get ingestSpoolDir() {
    return str("INGEST_SPOOL_DIR", ".livehouse/spool");
  },
  /** Most source one live part may keep in the spool before its oldest untranscoded media is dropped. */
  get ingestSpoolMaxMb() {
    return int("INGEST_SPOOL_MAX_MB", 4096);
  },
  /** Bearer token for GET /metrics (Prometheus); empty: /metrics is off. */
  get metricsToken() {
    return str("METRICS_TOKEN", "");
  },
  /** Let webhooks reach loopback, private, link-local, CGNAT and other non-public addresses (a trusted LAN's receivers; the test stack). Off: such destinations are refused (SSRF). */
  get webhookAllowPrivate() {
    return bool("WEBHOOK_ALLOW_PRIVATE", false);
  },
  /** How long one webhook delivery attempt may take, connection to last byte read. */
  get webhookTimeoutSeconds() {
    const n = int("WEBHOOK_TIMEOUT_SECONDS", 10);
    if (n < 1 || n > 120) throw new Error(`WEBHOOK_TIMEOUT_SECONDS must be between 1 and 120, got ${n}`);
    return n;
  },
  /** Secret for internal ingest reads; empty: generated once and kept in Redis. */
  get internalSecret() {
    return str("INTERNAL_SECRET", "");
  },
  /** Publishes with a wrong key from one address before it is refused for the window. */
  get ingestMaxKeyFailures() {
    return int("INGEST_MAX_KEY_FAILURES", 10);
  },
  get ingestFailureWindowSeconds() {
    return int("INGEST_FAILURE_WINDOW_SECONDS", 600);
  },
  get ingestMaxConnections() {
    return int("INGEST_MAX_CONNECTIONS", 2000);
  },
  /** A connection must complete handshake, connect, publish and the key check within this time (an absolute deadline). */
  get ingestHandshakeTimeoutSeconds() {
    return int("INGEST_HANDSHAKE_TIMEOUT_SECONDS", 10);
  },
  /** Unverified connections one client address may hold at once. */
  get ingestMaxUnverifiedPerAddress() {
    return int("INGEST_MAX_UNVERIFIED_PER_ADDRESS", 8);
  },
  /** Connections of INGEST_MAX_CONNECTIONS that unverified connections may never take (verified publishers keep them). */
  get ingestReservedConnections() {
    return int("INGEST_RESERVED_CONNECTIONS", 200);
  },
  /** Before it asks to publish, a connection that sends less than this (bytes per second on average) is dropped. */
  get ingestMinBytesPerSecond() {
    return int("INGEST_MIN_BYTES_PER_SECOND", 500);
  },
  /** Where media lives: "local" (the directory MEDIA_DIR) or "s3" (an S3-compatible bucket, S3_*). */
  get mediaStore(): "local" | "s3" {
    const v = str("MEDIA_STORE", "local");
    if (v !== "local" && v !== "s3") throw new Error(`MEDIA_STORE must be "local" or "s3", got "${v}"`);
    return v;
  },
  /** Days replays are kept before they are deleted (channels may override it); 0 keeps them forever. */
  get replayRetentionDays() {
    return int("REPLAY_RETENTION_DAYS", 0);
  },
  /** Most the media store may hold (GB, decimals allowed); over it the oldest replays are deleted first. 0: no budget. */
  get mediaBudgetBytes() {
    const raw = str("MEDIA_BUDGET_GB", "0");
    const gb = Number(raw);
    if (!Number.isFinite(gb) || gb < 0) throw new Error(`MEDIA_BUDGET_GB must be a number of gigabytes (0 for no budget), got "${raw}"`);
    return Math.round(gb * 1e9);
  },
  /** Root of the local media store (live HLS, replays). */
  get mediaDir() {
    return str("MEDIA_DIR", ".livehouse/media");
  },
  /** A role's own working directory for ffmpeg's output before it is published to the store (never shared). */
  get scratchDir() {
    return str("SCRATCH_DIR", ".livehouse/scratch");
  },
  /** Base URL browsers fetch media from (a public bucket or its CDN). Empty: through the web app, at /hls/. */
  get mediaPublicUrl() {
    return str("MEDIA_PUBLIC_URL", "").replace(/\/+$/, "");
  },
  /** The S3-compatible bucket of MEDIA_STORE=s3. */
  get s3() {
    return {
      endpoint: str("S3_ENDPOINT", ""),
      region: str("S3_REGION", "us-east-1"),
      bucket: str("S3_BUCKET", "livehouse"),
      accessKeyId: str("S3_ACCESS_KEY_ID", ""),
      secretAccessKey: str("S3_SECRET_ACCESS_KEY", ""),
      /** Path-style URLs (endpoint/bucket/key): what most self-hosted servers want. */
      forcePathStyle: bool("S3_FORCE_PATH_STYLE", true),
      /** Let Livehouse make the bucket readable by browsers (a policy for the viewable keys, and CORS), for MEDIA_PUBLIC_URL. */
      publicRead: bool("S3_PUBLIC_READ", false),
      /** Key prefix inside the bucket, so several instances can share one. */
      prefix: str("S3_PREFIX", "").replace(/^\/+|\/+$/g, ""),
    };
  },
  get hlsSegmentSeconds() {
    return int("HLS_SEGMENT_SECONDS", 2);
  },
  /** Segments listed in a live media playlist. */
  get hlsWindowSegments() {
    return int("HLS_WINDOW_SEGMENTS", 12);
  },
  get x264Preset() {
    return str("X264_PRESET", "veryfast");
  },
  get ffmpegPath() {
    return str("FFMPEG_PATH", "ffmpeg");
  },
  /** What a worker does when its transcode runs slower than real time: "degrade" (faster preset, then fewer rungs) or "warn" only. */
  get transcodeOverload(): "degrade" | "warn" {
    const v = str("TRANSCODE_OVERLOAD", "degrade");
    if (v !== "degrade" && v !== "warn") throw new Error(`TRANSCODE_OVERLOAD must be "degrade" or "warn", got "${v}"`);
    return v;
  },
  /** With TRANSCODE_OVERLOAD=degrade: how long a stepped-down transcode must keep up (with CPU to spare) before it steps back up. */
  get transcodeStepUpAfterSeconds() {
    return int("TRANSCODE_STEP_UP_AFTER_SECONDS", 60);
  },
  /** Live transcodes one worker process runs at once. */
  get workerConcurrency() {
    return int("WORKER_CONCURRENCY", 4);
  },
  /** Instance-wide default ABR ladder; channels may override it. "auto": the richest prefix-free
   * part of STANDARD_LADDER this machine keeps up with, measured by the workers (lib/capacity.ts). */
  get transcodeLadder() {
    return str("TRANSCODE_LADDER", "auto");
  },
  /** Homeserver client-server API as the appservice and web reach it. */
  get matrixHomeserverUrl() {
    return str("MATRIX_HOMESERVER_URL", "http://127.0.0.1:8008");
  },
  /** Homeserver URL handed to browsers (chat widget). Empty: same as MATRIX_HOMESERVER_URL. */
  get matrixPublicUrl() {
    return str("MATRIX_PUBLIC_URL", "");
  },
  /** The homeserver's server_name: the part after ':' in @user:server and #alias:server. */
  get matrixServerName() {
    return str("MATRIX_SERVER_NAME", "localhost");
  },
  /** Appservice registration file; generated on first start when missing, then given to the homeserver. */
  get matrixRegistrationFile() {
    return str("MATRIX_REGISTRATION_FILE", ".livehouse/matrix/livehouse-appservice.yaml");
  },
  /** Prefix of the appservice's exclusive user and alias namespaces. */
  get matrixNamespacePrefix() {
    return str("MATRIX_NAMESPACE_PREFIX", "_lh_");
  },
  get appserviceBind() {
    return str("APPSERVICE_BIND", "127.0.0.1");
  },
  get appservicePort() {
    return int("APPSERVICE_PORT", 9009);
  },
  /** How the homeserver and the web role reach the appservice. */
  get appserviceUrl() {
    return str("APPSERVICE_URL", `http://127.0.0.1:${int("APPSERVICE_PORT", 9009)}`);
  },
  /** WebRTC playback (the edge role); channels can switch it off for themselves. */
  get webrtcEnabled() {
    return bool("WEBRTC_ENABLED", true);
  },
  /** Where the edge takes OvenPlayer's signaling WebSockets (the web app proxies /ws/<channel> to it). */
  get edgeSignalingPort() {
    return int("EDGE_SIGNALING_PORT", 3334);
  },
  get edgeSignalingBind() {
    return str("EDGE_SIGNALING_BIND", "127.0.0.1");
  },
  /** This edge's name in the registry of edges; empty: host name and signaling port. */
  get edgeId() {
    return str("EDGE_ID", "");
  },
  /** How the web app reaches this edge's signaling port (the edge announces it). */
  get edgeInternalUrl() {
    return str("EDGE_INTERNAL_URL", `http://127.0.0.1:${int("EDGE_SIGNALING_PORT", 3334)}`).replace(/\/+$/, "");
  },
  /** UDP port the edge receives the workers' RTP on (every live session, told apart by SSRC). */
  get edgeRtpPort() {
    return int("EDGE_RTP_PORT", 5004);
  },
  get edgeRtpBind() {
    return str("EDGE_RTP_BIND", "127.0.0.1");
  },
  /** This edge's RTP address as workers reach it (the edge announces it). */
  get edgeRtpHost() {
    return str("EDGE_RTP_HOST", "127.0.0.1");
  },
  /** The one UDP port every viewer's WebRTC media uses (ICE, DTLS, SRTP); open it in the firewall. */
  get webrtcUdpPort() {
    return int("WEBRTC_UDP_PORT", 10000);
  },
  /** Local address of that port; empty: every interface. */
  get webrtcBind() {
    return str("WEBRTC_BIND", "");
  },
  /** Address advertised to viewers instead of the local one (behind 1:1 NAT, in Docker). */
  get webrtcPublicIp() {
    return str("WEBRTC_PUBLIC_IP", "");
  },
  /** JSON list of RTCIceServer (TURN) handed to players; empty: none (players then use direct UDP). */
  get webrtcIceServers(): { urls: string | string[]; username?: string; credential?: string }[] {
    const raw = str("WEBRTC_ICE_SERVERS", "");
    if (!raw) return [];
    const v = JSON.parse(raw) as unknown;
    if (!Array.isArray(v)) throw new Error("WEBRTC_ICE_SERVERS must be a JSON list of {urls, username?, credential?}");
    return v;
  },
  /** WebRTC viewers one edge serves; the rest get HLS. */
  get webrtcMaxViewers() {
    return int("WEBRTC_MAX_VIEWERS", 500);
  },
  /** Peers whose x-livehouse-client-ip header the edge believes (the web app proxying /ws/). */
  get edgeTrustedProxies() {
    return str("EDGE_TRUSTED_PROXIES", "127.0.0.1,::1")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  },
  /** libdatachannel's own log (to the edge's stdout): Verbose, Debug, Info, Warning, Error, Fatal; empty is off. */
  get webrtcLogLevel() {
    const v = str("WEBRTC_LOG_LEVEL", "");
    const levels = ["Verbose", "Debug", "Info", "Warning", "Error", "Fatal"];
    if (v && !levels.includes(v)) throw new Error(`WEBRTC_LOG_LEVEL must be one of ${levels.join(", ")} (or empty)`);
    return v as "" | "Verbose" | "Debug" | "Info" | "Warning" | "Error" | "Fatal";
  },
  /** WebRTC connections one client address may hold at once. */
  get webrtcMaxPeersPerAddress() {
    return int("WEBRTC_MAX_PEERS_PER_ADDRESS", 32);
  },
};
