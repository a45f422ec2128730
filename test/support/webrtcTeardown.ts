// The end of a test file that used node-datachannel in its own process.
import nodeDataChannel from "node-datachannel";

/**
 * Tears node-datachannel down (every track went through edge/nativeTracks.ts, so this no
 * longer crashes), then makes sure the process ends: in one of about 80 runs of
 * edgeSignaling.test.ts, a native callback was left holding the event loop after every
 * test had reported, and the file hung. Results are written synchronously to
 * the runner's pipe by then, so ending the process loses none.
 */
export function tearDownWebRTC(): void {
  nodeDataChannel.cleanup();
  setTimeout(() => process.exit(), 10_000).unref();
}
