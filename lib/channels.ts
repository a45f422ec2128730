// Channels and their stream keys. Every function that reads or changes a
// creator's data takes the acting user's id and filters by ownership in the same
// query: authorization lives here, not in a middleware or a page.
import { forgetChatFeed } from "./chat/feedStore.ts";
import { db, isUniqueViolation } from "./db.ts";
import { LimitError, NotFoundError, ValidationError } from "./errors.ts";
import { logger } from "./log.ts";
import { disconnectPublishers } from "./liveSessions.ts";
import { enqueueChat, enqueueControl } from "./queue.ts";
import { generateStreamKey } from "./streamKeys.ts";
import { channelSchema, fieldErrors, streamKeyLabelSchema, type ChannelInput } from "./validation.ts";

export const MAX_CHANNELS_PER_USER = 20;
export const MAX_ACTIVE_KEYS_PER_CHANNEL = 10;

const log = logger("channels");

const keyListing = { id: true, label: true, hint: true, createdAt: true, lastUsedAt: true } as const;

export type ChannelFormInput = Partial<Record<"slug" | "title" | "description" | "reconnectGraceMinutes" | "ladder" | "keepReplays" | "webrtcEnabled" | "replayRetentionDays", string>>;

function parseChannel(input: ChannelFormInput): ChannelInput {
  const parsed = channelSchema.safeParse({
    ...input,
    reconnectGraceMinutes: input.reconnectGraceMinutes === "" ? undefined : input.reconnectGraceMinutes,
    replayRetentionDays: input.replayRetentionDays === undefined || input.replayRetentionDays.trim() === "" ? null : input.replayRetentionDays,
  });
  if (!parsed.success) throw new ValidationError(fieldErrors(parsed.error));
  return parsed.data;
}

function toRow(c: ChannelInput) {
  return {
    slug: c.slug,
    title: c.title,
    description: c.description,
    reconnectGraceSeconds: c.reconnectGraceMinutes * 60,
    ladder: c.ladder,
    keepReplays: c.keepReplays,
    webrtcEnabled: c.webrtcEnabled,
    replayRetentionDays: c.replayRetentionDays,
  };
}

function slugTaken(err: unknown): never {
  if (isUniqueViolation(err)) throw new ValidationError({ slug: "That URL name is taken. Choose another." });
  throw err;
}

export async function createChannel(userId: string, input: ChannelFormInput) {
  const data = toRow(parseChannel(input));
  const count = await db().channel.count({ where: { ownerId: userId } });
  if (count >= MAX_CHANNELS_PER_USER) {
    throw new ValidationError({ "": `You can have at most ${MAX_CHANNELS_PER_USER} channels.` });
  }
  const channel = await db().channel.create({ data: { ...data, ownerId: userId } }).catch(slugTaken);
  await syncChatRoom(channel.id);
  return channel;
}

/**
 * The appservice creates the room (or renames it) when it takes the job; if it
 * is down, the job waits, and the channel works meanwhile without chat.
 */
async function syncChatRoom(channelId: string): Promise<void> {
  await enqueueChat({ kind: "sync-room", channelId }).catch((err) => log.warn("could not queue the chat room sync", { channelId, error: String(err) }));
}

export async function getOwnedChannel(userId: string, channelId: string) {
  if (!isUuid(channelId)) throw new NotFoundError("Channel not found");
  const channel = await db().channel.findFirst({ where: { id: channelId, ownerId: userId } });
  if (!channel) throw new NotFoundError("Channel not found");
  return channel;
}

export async function updateChannel(userId: string, channelId: string, input: ChannelFormInput) {
  const data = toRow(parseChannel(input));
  await getOwnedChannel(userId, channelId);
  const { count } = await db()
    .channel.updateMany({ where: { id: channelId, ownerId: userId }, data })
    .catch(slugTaken);
  if (count === 0) throw new NotFoundError("Channel not found");
  await syncChatRoom(channelId);
  return getOwnedChannel(userId, channelId);
}

export async function deleteChannel(userId: string, channelId: string): Promise<void> {
  if (!isUuid(channelId)) throw new NotFoundError("Channel not found");
  const channel = await db().channel.findFirst({
    where: { id: channelId, ownerId: userId },
    select: { matrixRoomId: true, title: true, liveSessions: { select: { id: true, status: true } } },
  });
  const { count } = await db().channel.deleteMany({ where: { id: channelId, ownerId: userId } });
  if (count === 0) throw new NotFoundError("Channel not found");
  // The rows are gone (the web stops serving their media at once); the files go in the background, with retries.
  const sessions = channel?.liveSessions ?? [];
  for (const s of sessions) if (s.status !== "ended") await disconnectPublishers(s.id);
  if (sessions.length) {
    await enqueueControl({ kind: "purge-media", sessionIds: sessions.map((s) => s.id), ref: channelId }).catch((err) =>
      log.error("could not queue removing a deleted channel's media", { channelId, error: String(err) }),
    );
  }
  await forgetChatFeed(channelId).catch((err) => log.warn("could not delete the chat feed", { channelId, error: String(err) }));
  if (channel?.matrixRoomId) {
    await enqueueChat({ kind: "close-room", roomId: channel.matrixRoomId, title: channel.title }).catch((err) =>
      log.warn("could not queue closing the chat room", { channelId, error: String(err) }),
    );
  }
}

export async function listChannelsWithKeys(userId: string) {
  return db().channel.findMany({
    where: { ownerId: userId },
    orderBy: { createdAt: "asc" },
    include: { streamKeys: { where: { revokedAt: null }, orderBy: { createdAt: "asc" }, select: keyListing } },
  });
}

/** The user's channels as the API lists them; `onlyChannelId` narrows to one (a channel token's). */
export async function listOwnedChannels(userId: string, onlyChannelId: string | null = null) {
  return db().channel.findMany({
    where: { ownerId: userId, ...(onlyChannelId ? { id: onlyChannelId } : {}) },
    orderBy: { createdAt: "asc" },
    select: { id: true, slug: true, title: true, description: true, createdAt: true },
  });
}

export async function listStreamKeys(userId: string, channelId: string) {
  await getOwnedChannel(userId, channelId);
  return db().streamKey.findMany({
    where: { channelId, revokedAt: null, channel: { ownerId: userId } },
    orderBy: { createdAt: "asc" },
    select: keyListing,
  });
}

/** Returns the plaintext key: the only moment it exists outside the creator's encoder. */
export async function createStreamKey(userId: string, channelId: string, label: unknown) {
  const parsed = streamKeyLabelSchema.safeParse(label ?? "");
  if (!parsed.success) throw new ValidationError({ label: parsed.error.issues[0].message });
  await getOwnedChannel(userId, channelId);
  const active = await db().streamKey.count({ where: { channelId, revokedAt: null } });
  if (active >= MAX_ACTIVE_KEYS_PER_CHANNEL) {
    throw new LimitError(`A channel can have at most ${MAX_ACTIVE_KEYS_PER_CHANNEL} active keys. Revoke one first.`);
  }
  const { key, keyHash, hint } = generateStreamKey();
  const row = await db().streamKey.create({
    data: { channelId, label: parsed.data, keyHash, hint },
    select: keyListing,
  });
  return { ...row, key };
}

export async function revokeStreamKey(userId: string, keyId: string): Promise<void> {
  if (!isUuid(keyId)) throw new NotFoundError("Stream key not found");
  const { count } = await db().streamKey.updateMany({
    where: { id: keyId, revokedAt: null, channel: { ownerId: userId } },
    data: { revokedAt: new Date() },
  });
  if (count === 0) throw new NotFoundError("Stream key not found");
}

/** What anyone may see of a channel. */
export async function getPublicChannel(slug: string) {
  return db().channel.findUnique({
    where: { slug: slug.toLowerCase() },
    select: { id: true, slug: true, title: true, description: true, owner: { select: { displayName: true } } },
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(s: string): boolean {
  return UUID.test(s);
}
