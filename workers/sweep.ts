// The periodic sweep (every worker schedules it; BullMQ runs one at a time):
// samples every live session's statistics, recovers sessions whose events were
// lost, closes the playlists of ended sessions nobody else will close, and forgets
// appservice transaction ids the homeserver will never resend.
import { db } from "../lib/db.ts";
import { forgetOldTransactions } from "../lib/chat/store.ts";
import { closePlaylistsIfEnded } from "../lib/live/pen.ts";
import { sweepStaleSessions } from "../lib/liveSessions.ts";
import { FINISHING_MAX_MS } from "../lib/liveStatus.ts";
import { logger } from "../lib/log.ts";
import type { MediaStore } from "../lib/media/store.ts";
import { QUEUE, queue, transcodeJobId } from "../lib/queue.ts";
import { finalizeEndedSessions, sampleLiveSessions } from "../lib/stats/sessionStats.ts";

const log = logger("worker");

export async function sweep(store: MediaStore): Promise<void> {
  // First, so the viewer graph keeps its pace whatever the rest of the sweep meets.
  await sampleLiveSessions().catch((err) => log.warn("could not sample live sessions' statistics", { error: String(err) }));
  const swept = await sweepStaleSessions();
  if (swept.dropped || swept.expired) log.warn("recovered stale live sessions", swept);

  // Ended sessions whose playlists are still open: normally the last transcode closes them
  // when it has listed everything; here only a part whose transcode job is gone holds them up.
  const open = await db().liveSession.findMany({
    where: { status: "ended", playlistsClosedAt: null },
    select: { id: true, parts: { where: { transcodeDoneAt: null }, select: { id: true, index: true } } },
    take: 100,
  });
  for (const s of open) {
    // One session that cannot be closed (its media unreadable, say) must not hold up the others' nor the statistics below.
    try {
      for (const p of s.parts) {
        const job = await queue(QUEUE.transcode).getJob(transcodeJobId(p.id));
        const state = job ? await job.getState() : "missing";
        if (state === "failed" || state === "completed" || state === "missing" || state === "unknown") {
          log.warn("a part's transcode stopped before listing everything; closing the session without the rest", { session: s.id, part: p.index, job: state });
          await db().livePart.update({ where: { id: p.id }, data: { transcodeDoneAt: new Date(), transcodeError: "The transcode stopped before the end of this part." } });
        }
      }
      const outcome = await closePlaylistsIfEnded(s.id, store);
      if (outcome === "closed") log.info("closed the playlists of an ended session", { session: s.id });
    } catch (err) {
      log.warn("could not close an ended session's playlists; the next sweep tries again", { session: s.id, error: String(err).slice(0, 300) });
    }
  }
  await finalizeEndedSessions(FINISHING_MAX_MS).catch((err) => log.warn("could not finish ended sessions' statistics", { error: String(err) }));
  await forgetOldTransactions().catch((err) => log.warn("could not forget old appservice transactions", { error: String(err) }));
}
