// A channel's stream problem: why its last stream could not go live, or stopped
// (unsupported codec, no video, a transcode that cannot work). Creator-facing;
// shown on the dashboard and, in general terms, on the channel page, until a
// later stream plays.
import { db } from "./db.ts";

export async function reportStreamProblem(channelId: string, reason: string): Promise<void> {
  await db().channel.update({ where: { id: channelId }, data: { streamProblem: reason.slice(0, 500), streamProblemAt: new Date() } });
}

export async function clearStreamProblem(channelId: string): Promise<void> {
  await db().channel.updateMany({ where: { id: channelId, streamProblem: { not: null } }, data: { streamProblem: null, streamProblemAt: null } });
}
