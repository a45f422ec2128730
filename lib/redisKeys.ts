// Every Redis key name Livehouse uses, in one registry (like QUEUE for BullMQ
// queues): several roles read and write most of these, so a name that drifts in
// one of them breaks a protocol silently. The connection adds REDIS_PREFIX.

export const REDIS_KEY = {
  /** String: the shared internal secret when INTERNAL_SECRET is unset (see internalAuth.ts). */
  internalSecret: () => "internal-secret",

  /** String (JSON IngestStats, TTL): ingest's heartbeat and health of one publisher connection. */
  ingestStats: (partId: string) => `ingest:part:${partId}`,
  /** String (ms, TTL): how far a part's source is listed in the playlists; ingest may drop spooled media before it. */
  spoolListedUntil: (partId: string) => `spool:listed:${partId}`,
  /** Hash counter-field → count: the metrics every role counts (see metrics.ts). */
  metricCounters: () => "metrics:counters",
  /** Counter: bad stream keys from one client address (ingest). */
  ingestBadKeys: (ip: string) => `ingest:badkey:${ip}`,

  /** String (TTL): who holds a session's playlist pen (see live/pen.ts). */
  playlistPen: (sessionId: string) => `live-writer:${sessionId}`,
  /** Lock name (see lock.ts) serialising every change to a session's playlists. */
  playlistsLock: (sessionId: string) => `playlists:${sessionId}`,
  /** Hash (TTL) field → "<run id> <json>": a copy of a session's master data and segment lists when media is in a bucket (see hls/playlistCopy.ts). */
  playlistCopy: (sessionId: string) => `playlist-copy:${sessionId}`,
  /** String (JSON): host and pid of the ffmpeg transcoding a part, so a takeover can kill a leftover. */
  transcodeProcess: (partId: string) => `live-ffmpeg:${partId}`,
  /** Counter (TTL): consecutive transcode runs of a part that failed without listing anything. */
  transcodeFailures: (partId: string) => `transcode-failures:${partId}`,
  /** String (JSON TranscodeHealth, TTL): speed, lag and overload steps of a session's transcode. */
  transcodeHealth: (sessionId: string) => `transcode-health:${sessionId}`,

  /** String (JSON StorageFull, TTL): the media store refused writers for want of room (see media/storageHealth.ts). */
  storageFull: () => "media:storage-full",
  /** String (JSON StorageUsage): what the media store held at the last storage sweep. */
  storageUsage: () => "media:usage",

  /** Hash host → JSON CapacityProfile: what each worker host measured at start (see capacity.ts). */
  capacity: () => "capacity",

  /** Sorted set: viewer ids seen recently on a session. */
  viewers: (sessionId: string) => `viewers:${sessionId}`,
  /** Sorted set: the viewer ids one (hashed) client address has counted in a session. */
  viewersOfAddress: (sessionId: string, addressHash: string) => `viewers:${sessionId}:addr:${addressHash}`,
  /** String (random, TTL): the session's secret salt for client-address hashes; deleted when the session is over (see viewers.ts). */
  viewersSalt: (sessionId: string) => `viewers:${sessionId}:salt`,
  /** HyperLogLog: the distinct viewers of a session while it is live; only its count outlives it. */
  viewersUnique: (sessionId: string) => `viewers:${sessionId}:unique`,
  /** Hash {n, at}: the most concurrent viewers a heartbeat saw in a session, and when. */
  viewersPeak: (sessionId: string) => `viewers:${sessionId}:peak`,
  /** String: the session has ended; heartbeats no longer add to its unique and peak counts. */
  viewersClosed: (sessionId: string) => `viewers:${sessionId}:closed`,

  /** Counters for sign-up and login limits. */
  signupPerIp: (ip: string) => `signup:ip:${ip}`,
  loginPerIp: (ip: string) => `login:ip:${ip}`,
  loginPerAccount: (emailHash: string) => `login:acct:${emailHash}`,
  loginPerAccountAndIp: (emailHash: string, ip: string) => `login:acctip:${emailHash}:${ip}`,
  /** Hash {count, lastAt}: failed logins on an account since its last successful one. */
  loginFailuresSinceLogin: (emailHash: string) => `login:since:${emailHash}`,
  /** String (JSON, TTL): what the dashboard tells the user once after they log in. */
  loginNotice: (userId: string) => `login:notice:${userId}`,

  /** Counters for password-reset emails (per client address, per hashed account) and email-change requests (per user). */
  resetPerIp: (ip: string) => `reset:ip:${ip}`,
  resetPerAccount: (emailHash: string) => `reset:acct:${emailHash}`,
  emailChangePerUser: (userId: string) => `email-change:${userId}`,

  /** Stream of JSON FeedEntry (field "e"): a channel's chat as viewers read it (see chat/feed.ts). */
  chatFeed: (channelId: string) => `chat-feed:${channelId}`,
  /** String (JSON PowerEntry): the power levels of a channel's room, for viewers opening the chat. */
  chatPower: (channelId: string) => `chat-power:${channelId}`,
  /** String: set once a channel's feed holds the room's recent history (after a backfill or its first entry). */
  chatFeedReady: (channelId: string) => `chat-feed-ready:${channelId}`,
  /** String (TTL): a chatter's slow-mode clock in one room. */
  chatSlowMode: (roomId: string, sender: string) => `chat-slow:${roomId}:${sender}`,

  /** String (JSON RtpSourceInfo, TTL): which session and track an RTP SSRC carries (worker writes, edge reads). */
  rtpSource: (ssrc: number) => `rtp-source:${ssrc}`,
  /** Hash edge id → JSON EdgeAnnouncement: the running edges (see webrtc/edges.ts). */
  edges: () => "edges",

  /** Key of a lock taken with withLock(name). */
  lock: (name: string) => `lock:${name}`,
} as const;
