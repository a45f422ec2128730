// What an API token may be allowed to do. Dependency-free so that the dashboard's
// browser components list the same scopes the server enforces.

export const API_SCOPES = {
  "channel:read": "Read channel: live status, stream health, replays",
  "keys:manage": "Manage stream keys: list, create, revoke",
  "stream:end": "End stream",
  "replays:manage": "Manage replays: rename, delete",
  "chat:moderate": "Moderate chat: chat settings, bans, timeouts, kicks, deleting messages, moderators",
} as const;

export type ApiScope = keyof typeof API_SCOPES;

export const API_SCOPE_NAMES = Object.keys(API_SCOPES) as ApiScope[];

export const isApiScope = (s: unknown): s is ApiScope => typeof s === "string" && Object.hasOwn(API_SCOPES, s);

/** The prefix of every API token (lh_api_ + 256 random bits, base64url). */
export const API_TOKEN_PREFIX = "lh_api_";
