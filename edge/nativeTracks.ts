// node-datachannel 0.33 gets two things wrong about a Track wrapper once its peer
// connection has closed, and every track we hold goes through here because of them:
// - Its callbacks stay registered. Each is a thread-safe function holding its JS
//   function strongly, and that function's closure usually reaches the track itself, so
//   neither the wrapper nor the native track (with its RTCP handlers and NACK history)
//   is ever collected, and the event loop cannot end. Closing the track once its close
//   has reached JS lets all of it go.
// - The wrapper stays in a native set that cleanup() walks until its onClosed callback
//   has run on the JS thread. One garbage-collected before that stays there as a
//   dangling pointer, and cleanup() (the edge's shutdown, a test's teardown) crashes
//   with SIGSEGV in rtc::Track::close. So a track is held here until that callback ran.
import type { Track } from "node-datachannel";

const open = new Set<Track>();
let created = 0;
let collected = 0;
const collection = new FinalizationRegistry<undefined>(() => collected++);

export function retainUntilClosed(track: Track): Track {
  open.add(track);
  created++;
  collection.register(track, undefined);
  track.onClosed(() => {
    open.delete(track);
    track.close();
  });
  return track;
}

/**
 * `open`: tracks whose close has not reached JS yet; `inMemory`: tracks not yet
 * garbage-collected. Both go back to about zero when viewers have left.
 */
export function trackCounts(): { open: number; inMemory: number; created: number } {
  return { open: open.size, inMemory: created - collected, created };
}
