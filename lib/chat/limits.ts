// Chat limits shared by the widget and the server, dependency-free so that
// browser components can import them.

export const CHAT_LIMITS = {
  /** The widget's composer accepts at most this many characters (UTF-16 units, as `maxLength` counts). */
  messageMax: 1000,
  /** Longer messages (from any Matrix client) are shown cut to this many characters, with "Show more". */
  displayClampChars: 500,
} as const;

/**
 * How much longer than the channel's slow mode the widget waits before it lets
 * the viewer post again.
 *
 * The appservice enforces slow mode: when a message reaches it, it sets a Redis
 * key with a TTL of slowModeSeconds (PX, on Redis's clock), and redacts a
 * message that arrives while the key is still there. The widget starts its
 * countdown when `client.sendMessage` resolves, i.e. when the homeserver has
 * stored the message; the homeserver then pushes it to the appservice in a
 * transaction, asynchronously. So the widget's countdown and the appservice's
 * window are measured from two different moments, each on its own clock but
 * only as durations (no clock is compared with another, so skew does not
 * matter). The next message is judged "too soon" only if
 *
 *   delivery(previous) − delivery(next) > wait − slowModeSeconds + round trip,
 *
 * where delivery(x) is the time from the homeserver storing x to the appservice
 * setting or checking its key: the homeserver's transaction batching (one
 * transaction in flight per appservice; events queue behind it), the
 * appservice's per-event work before the check (a database read when its 2 s
 * room cache is cold, a word-filter redaction of an earlier event in the same
 * transaction), and Redis's millisecond TTL granularity. Waiting exactly
 * slowModeSeconds would leave no room for that variation; this margin covers
 * it for a healthy appservice. It is not a guarantee: an appservice that is
 * down or backlogged delivers the previous message late, and then the next one
 * can still be redacted as "Slow mode" (the viewer sees why it was removed).
 * The countdown shown excludes the margin, so it reads as slowModeSeconds.
 */
export const SLOW_MODE_CLIENT_MARGIN_MS = 750;
