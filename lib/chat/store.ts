// Chat state in PostgreSQL: which room belongs to which channel, who moderates
// it, who is banned or timed out, and which homeserver transactions are done.
import { db } from "../db.ts";
import { NotFoundError, ValidationError } from "../errors.ts";
import { isUuid } from "../channels.ts";
import { virtualUserId } from "../matrix/ids.ts";
import { chatSettingsSchema } from "./rules.ts";

const roomFields = {
  id: true,
  slug: true,
  title: true,
  description: true,
  ownerId: true,
  matrixRoomId: true,
  chatSlowModeSeconds: true,
  chatWordFilter: true,
  reconnectGraceSeconds: true,
} as const;

export type ChatChannel = NonNullable<Awaited<ReturnType<typeof chatChannel>>>;

export function chatChannel(channelId: string) {
  if (!isUuid(channelId)) return Promise.resolve(null);
  return db().channel.findUnique({ where: { id: channelId }, select: roomFields });
}

export function chatChannelBySlug(slug: string) {
  return db().channel.findUnique({ where: { slug }, select: roomFields });
}

export function chatChannelByRoom(roomId: string) {
  return db().channel.findUnique({ where: { matrixRoomId: roomId }, select: roomFields });
}

export async function setChannelRoom(channelId: string, roomId: string): Promise<void> {
  await db().channel.update({ where: { id: channelId }, data: { matrixRoomId: roomId } });
}

export async function moderatorIds(channelId: string): Promise<string[]> {
  const rows = await db().chatModerator.findMany({ where: { channelId }, select: { matrixUserId: true }, orderBy: { grantedAt: "asc" } });
  return rows.map((r) => r.matrixUserId);
}

/** The channel owner, or a Livehouse user whose virtual Matrix user was made moderator. */
export async function canModerate(livehouseUserId: string, channelId: string): Promise<boolean> {
  if (!isUuid(channelId)) return false;
  const channel = await db().channel.findFirst({
    where: {
      id: channelId,
      OR: [{ ownerId: livehouseUserId }, { chatModerators: { some: { matrixUserId: virtualUserId(livehouseUserId) } } }],
    },
    select: { id: true },
  });
  return channel !== null;
}

export async function setModerator(channelId: string, matrixUserId: string, grant: boolean): Promise<void> {
  if (grant) {
    await db().chatModerator.upsert({ where: { channelId_matrixUserId: { channelId, matrixUserId } }, update: {}, create: { channelId, matrixUserId } });
  } else {
    await db().chatModerator.deleteMany({ where: { channelId, matrixUserId } });
  }
}

export async function recordBan(channelId: string, matrixUserId: string, reason: string, until: Date | null): Promise<void> {
  await db().chatBan.upsert({
    where: { channelId_matrixUserId: { channelId, matrixUserId } },
    update: { reason, until, createdAt: new Date() },
    create: { channelId, matrixUserId, reason, until },
  });
}

export async function forgetBan(channelId: string, matrixUserId: string): Promise<void> {
  await db().chatBan.deleteMany({ where: { channelId, matrixUserId } });
}

export function expiredTimeouts(now = new Date()) {
  return db().chatBan.findMany({
    where: { until: { lte: now } },
    select: { channelId: true, matrixUserId: true, channel: { select: { matrixRoomId: true } } },
    take: 100,
  });
}

/** Owner's view of the room's moderation state. */
export async function chatModerationState(userId: string, channelId: string) {
  if (!isUuid(channelId)) throw new NotFoundError("Channel not found");
  const channel = await db().channel.findFirst({
    where: { id: channelId, ownerId: userId },
    select: {
      matrixRoomId: true,
      slug: true,
      chatSlowModeSeconds: true,
      chatWordFilter: true,
      chatMessageCount: true,
      chatModerators: { select: { matrixUserId: true, grantedAt: true }, orderBy: { grantedAt: "asc" } },
      chatBans: { select: { matrixUserId: true, reason: true, until: true, createdAt: true }, orderBy: { createdAt: "desc" } },
    },
  });
  if (!channel) throw new NotFoundError("Channel not found");
  return channel;
}

export async function updateChatSettings(userId: string, channelId: string, input: unknown) {
  const parsed = chatSettingsSchema.safeParse(input);
  if (!parsed.success) {
    const fields: Record<string, string> = {};
    for (const issue of parsed.error.issues) fields[String(issue.path[0] ?? "")] ??= issue.message;
    throw new ValidationError(fields);
  }
  if (!isUuid(channelId)) throw new NotFoundError("Channel not found");
  const { count } = await db().channel.updateMany({
    where: { id: channelId, ownerId: userId },
    data: { chatSlowModeSeconds: parsed.data.slowModeSeconds, chatWordFilter: parsed.data.wordFilter },
  });
  if (count === 0) throw new NotFoundError("Channel not found");
  return parsed.data;
}

export async function transactionProcessed(txnId: string): Promise<boolean> {
  const n = numericTxnId(txnId);
  // Synapse numbers an appservice's transactions 1, 2, 3…: one above the newest recorded
  // cannot have been recorded, and needs no query on the way to the viewers.
  if (n !== null && n > (newestRecordedTxn ??= await readNewestRecordedTxn())) return false;
  return (await db().matrixTransaction.findUnique({ where: { txnId }, select: { txnId: true } })) !== null;
}

/**
 * The highest numeric transaction id recorded, as this process knows it: read once, then kept
 * up by recordTransaction. One appservice process records a homeserver's transactions.
 */
let newestRecordedTxn: bigint | null = null;

const numericTxnId = (txnId: string): bigint | null => (/^\d{1,18}$/.test(txnId) ? BigInt(txnId) : null);

/** The newest ids by time (indexed), not a scan of a week of them: ids grow with time. */
async function readNewestRecordedTxn(): Promise<bigint> {
  const rows = await db().matrixTransaction.findMany({ orderBy: { processedAt: "desc" }, take: 100, select: { txnId: true } });
  return rows.reduce((max, r) => {
    const n = numericTxnId(r.txnId);
    return n !== null && n > max ? n : max;
  }, 0n);
}

/**
 * Records a handled transaction and, only when it was not recorded before, counts its chat
 * messages by channel (the channel's total and its live session's statistics), in one
 * statement: a transaction the homeserver resends after a failure is never counted twice.
 */
export async function recordTransaction(txnId: string, eventCount: number, messages: ReadonlyMap<string, number> = new Map()): Promise<void> {
  const channelIds = [...messages.keys()];
  const counts = [...messages.values()];
  await db().$executeRaw`
    WITH t AS (
      INSERT INTO matrix_transactions (txn_id, event_count) VALUES (${txnId}, ${eventCount})
      ON CONFLICT (txn_id) DO NOTHING RETURNING 1
    ), n AS (
      SELECT * FROM unnest(${channelIds}::uuid[], ${counts}::int[]) AS n(channel_id, messages) WHERE EXISTS (SELECT 1 FROM t)
    ), c AS (
      UPDATE channels SET chat_message_count = chat_message_count + n.messages FROM n WHERE channels.id = n.channel_id
    ), s AS (
      UPDATE session_stats SET chat_messages = session_stats.chat_messages + n.messages
      FROM n, live_sessions ls
      WHERE session_stats.session_id = ls.id AND ls.channel_id = n.channel_id AND ls.status <> 'ended'
    )
    SELECT 1`;
  const n = numericTxnId(txnId);
  if (n !== null && newestRecordedTxn !== null && n > newestRecordedTxn) newestRecordedTxn = n;
}

/**
 * The homeserver resends a transaction only until we have acknowledged it (minutes, in
 * practice); ids older than this are never asked about again. At 20 messages a second the
 * table would otherwise grow by a million rows a day.
 */
export const TRANSACTION_MEMORY_DAYS = 7;

/** Forgets transaction ids older than TRANSACTION_MEMORY_DAYS; returns how many. */
export async function forgetOldTransactions(now = new Date()): Promise<number> {
  const { count } = await db().matrixTransaction.deleteMany({ where: { processedAt: { lt: new Date(now.getTime() - TRANSACTION_MEMORY_DAYS * 86_400_000) } } });
  return count;
}
