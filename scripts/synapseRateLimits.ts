// Synapse's rate limits, set deliberately for a live-stream chat room instead of
// left at Synapse's defaults, which answer 429 to a third of the joins when a
// raid brings ~3 joins a second into one room. Used by the managed Synapse
// (scripts/synapseConfig.ts) and the compose one (scripts/synapse-compose-setup.ts).
//
// Synapse's limiter is a leaky bucket: `burst_count` actions at once, refilled at
// `per_second`. A refused request gets 429 with retry_after_ms; the chat widget
// waits that out and retries, so a burst above the bucket is delayed, not lost.

export interface Rate {
  per_second: number;
  burst_count: number;
}

export const CROWD_RATE_DEFAULTS = {
  // Guest (and account) registrations per client address as Synapse sees it.
  // Behind one proxy or NAT, and with the managed Synapse (its listener does not
  // read X-Forwarded-For), that address is the same for every viewer: the figure
  // is then the whole server's. A viewer registers on their first message, not on
  // page load. 100 at once plus 3 a second takes ~280 new chatters in the first
  // minute of a raid; a bot flood still gets no more than 3 accounts a second.
  // (Synapse's default: 3 at once, then one per ~6 s.)
  registration: { per_second: 3, burst_count: 100 },
  // Joins into one room, from all users together. A burst of 100 joins in 10 s:
  // 50 get in at once, the other 50 as the bucket drains at 5 a second, i.e.
  // all within ~10 s of retries. A sustained flood is held at 5 joins a second,
  // each of which is a state event every member's client receives.
  // (Synapse's default: 10 at once, then one a second.)
  joinsPerRoom: { per_second: 5, burst_count: 50 },
  // Joins by one local user into any rooms. A viewer joins one channel's room,
  // maybe a few while browsing; 10 at once, then one every 10 s stops one
  // account from sweeping every room. (Synapse's default, stated on purpose.)
  joinsLocal: { per_second: 0.1, burst_count: 10 },
} satisfies Record<string, Rate>;

/** "PER_SECOND/BURST", e.g. "5/50". Empty: the fallback. */
export function parseRate(name: string, raw: string | undefined, fallback: Rate): Rate {
  if (raw === undefined || raw.trim() === "") return fallback;
  const m = /^\s*(\d+(?:\.\d+)?)\s*\/\s*(\d+)\s*$/.exec(raw);
  const rate = m ? { per_second: Number(m[1]), burst_count: Number(m[2]) } : null;
  if (!rate || rate.per_second <= 0 || rate.burst_count < 1) {
    throw new Error(`${name} must be "PER_SECOND/BURST" with both above zero, e.g. "5/50"; got "${raw}"`);
  }
  return rate;
}

/** The rate limits of a production homeserver.yaml (SYNAPSE_RC_* override the figures). */
export function crowdRateLimits(env: Record<string, string | undefined> = process.env): Record<string, unknown> {
  return {
    rc_registration: parseRate("SYNAPSE_RC_REGISTRATION", env.SYNAPSE_RC_REGISTRATION, CROWD_RATE_DEFAULTS.registration),
    rc_joins: {
      local: parseRate("SYNAPSE_RC_JOINS_LOCAL", env.SYNAPSE_RC_JOINS_LOCAL, CROWD_RATE_DEFAULTS.joinsLocal),
      // Joins to rooms on other servers make this server fetch the room's state
      // over federation: Synapse's default, one per 100 s after 10.
      remote: { per_second: 0.01, burst_count: 10 },
    },
    rc_joins_per_room: parseRate("SYNAPSE_RC_JOINS_PER_ROOM", env.SYNAPSE_RC_JOINS_PER_ROOM, CROWD_RATE_DEFAULTS.joinsPerRoom),
  };
}

/**
 * Tests register dozens of guests and send tens of messages a second from one
 * address; every limiter is set far beyond that.
 */
export function openRateLimits(): Record<string, unknown> {
  const open = { per_second: 10_000, burst_count: 100_000 };
  return {
    rc_message: open,
    rc_registration: open,
    rc_registration_token_validity: open,
    rc_login: { address: open, account: open, failed_attempts: open },
    rc_joins: { local: open, remote: open },
    rc_joins_per_room: open,
    rc_invites: { per_room: open, per_user: open, per_issuer: open },
    rc_third_party_invite: open,
    rc_3pid_validation: open,
    rc_admin_redaction: open,
    rc_room_creation: open,
    rc_media_create: open,
    rc_key_requests: open,
    rc_presence: { per_user: open },
    rc_delayed_event_mgmt: open,
    rc_reports: open,
    rc_user_directory: open,
    rc_federation: { window_size: 1000, sleep_limit: 100_000, sleep_delay: 500, reject_limit: 1_000_000, concurrent: 1000 },
    federation_rr_transactions_per_room_per_second: 10_000,
  };
}
