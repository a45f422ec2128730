// The appservice role (`npm run appservice`): Livehouse's Matrix appservice,
// built on matrix-appservice-bridge. Exactly one runs per homeserver: the
// homeserver pushes room events to it (APPSERVICE_URL), it owns the channel
// rooms, the virtual users and the bot, and it takes chat jobs from BullMQ.
import { Worker } from "bullmq";
import type { Express } from "express";
import { LogService } from "@vector-im/matrix-bot-sdk";
import { AppServiceRegistration, Bridge, Logger } from "matrix-appservice-bridge";
import { db } from "../lib/db.ts";
import { config } from "../lib/config.ts";
import { chatChannel, chatChannelBySlug } from "../lib/chat/store.ts";
import { pruneChatWithoutReplay } from "../lib/chat/chatArchive.ts";
import { logger } from "../lib/log.ts";
import { onShutdown } from "../lib/shutdown.ts";
import { slugFromAlias } from "../lib/matrix/ids.ts";
import { ensureRegistrationFile } from "../lib/matrix/registration.ts";
import { QUEUE, bullConnection, bullPrefix, type ChatJob } from "../lib/queue.ts";
import { HomeserverAppService, asAppService } from "./hsAppService.ts";
import { installInternalApi } from "./internalApi.ts";
import { ChatFeedWriter } from "./chatFeed.ts";
import { Moderation } from "./moderation.ts";
import { noticeText } from "./notices.ts";
import { RoomKeeper } from "./rooms.ts";
import { RoomRules } from "./roomRules.ts";
import { VirtualUsers } from "./virtualUsers.ts";

const log = logger("appservice");
// The bridge logs every HTTP line at info; our own log lines say what matters.
Logger.configure({ console: "warn" });
// The bot-sdk logs every non-2xx answer as an ERROR, including the 404s we expect
// (an alias not yet created); our code logs the failures that matter.
LogService.muteModule("MatrixHttpClient");

const registration = ensureRegistrationFile();
let rooms: RoomKeeper | undefined;

const bridge = new Bridge({
  homeserverUrl: config.matrixHomeserverUrl,
  domain: config.matrixServerName,
  registration: AppServiceRegistration.fromObject(registration),
  disableStores: true,
  disableContext: true,
  controller: {
    // Events are handled by RoomRules from the transaction itself (see hsAppService.ts).
    onEvent: () => {},
    // Someone asked for #<prefix><slug>:<server> (e.g. joining from Element): provision on demand.
    onAliasQuery: async (alias) => {
      const slug = slugFromAlias(alias);
      const channel = slug ? await chatChannelBySlug(slug) : null;
      if (!channel || !rooms || rooms.isSyncing(channel.id)) return null;
      const roomId = await rooms.sync(channel.id);
      return roomId ? { roomId } : null;
    },
  },
});

await bridge.initialise();
const botIntent = bridge.getIntent();
const bot = botIntent.matrixClient;
rooms = new RoomKeeper(bot);
const rules = new RoomRules(bot);
const moderation = new Moderation(bot, rooms, () => rules.invalidate());
const users = new VirtualUsers(bridge, registration.as_token);

const feed = new ChatFeedWriter(bot, (roomId) => rules.channelOf(roomId));

const appService = new HomeserverAppService(registration.hs_token, async (events) => {
  const { removed, messages } = await rules.process(events);
  await feed.publish(events, removed);
  return messages;
});
installInternalApi(appService.expressApp as Express, { rooms, moderation, users, feed });
appService.installErrorHandler();
await bridge.listen(config.appservicePort, config.appserviceBind, 50, asAppService(appService));
log.info("listening", { bind: config.appserviceBind, port: config.appservicePort, homeserver: config.matrixHomeserverUrl, serverName: config.matrixServerName });

// The homeserver may start after us; keep trying until the bot exists.
for (let attempt = 1; ; attempt++) {
  try {
    await botIntent.ensureRegistered();
    break;
  } catch (err) {
    if (attempt % 10 === 1) log.warn("homeserver not ready yet", { error: String(err) });
    await new Promise((r) => setTimeout(r, 1000));
  }
}

// Synapse 1.160 cannot set a profile field of the appservice's sender when it
// has no profile row yet (500 in set_profile_field); the name is cosmetic.
await botIntent.setDisplayName("Livehouse").catch((err) => log.warn("could not set the bot's display name", { error: String(err) }));

const chatWorker = new Worker<ChatJob>(
  QUEUE.chat,
  async (job) => {
    const data = job.data;
    if (data.kind === "sync-room") {
      await rooms!.sync(data.channelId);
      rules.invalidate();
    } else if (data.kind === "close-room") {
      await rooms!.close(data.roomId, data.title);
    } else {
      const channel = await chatChannel(data.channelId);
      if (!channel) return;
      const roomId = channel.matrixRoomId ?? (await rooms!.sync(channel.id));
      if (!roomId) return;
      await bot.sendNotice(roomId, noticeText(data.notice, channel, data.replayId));
    }
  },
  { connection: bullConnection(), prefix: bullPrefix(), concurrency: 4 },
);
chatWorker.on("failed", (job, err) => log.warn("chat job failed; it will be retried", { kind: job?.data.kind, attempt: job?.attemptsMade, error: err.message.slice(0, 300) }));
chatWorker.on("error", (err) => log.error("chat worker error", { error: String(err) }));

// Channels made while the appservice was away get their room now.
const roomless = await db().channel.findMany({ where: { matrixRoomId: null }, select: { id: true } });
for (const c of roomless) await rooms.sync(c.id).catch((err) => log.warn("could not create a chat room", { channelId: c.id, error: String(err) }));

let lifting = false;
const timeoutTimer = setInterval(async () => {
  if (lifting) return;
  lifting = true;
  try {
    const n = await moderation.liftExpiredTimeouts();
    if (n) rules.invalidate();
  } catch (err) {
    log.error("could not lift timeouts", { error: String(err) });
  } finally {
    lifting = false;
  }
}, 1000);

// The chat replay of sessions that ended without a replay is never played: delete it.
const pruneChat = () =>
  pruneChatWithoutReplay()
    .then((n) => n && log.info("deleted the chat replay of sessions without a replay", { messages: n }))
    .catch((err) => log.warn("could not prune chat replays", { error: String(err) }));
void pruneChat();
const pruneTimer = setInterval(pruneChat, 3600_000);

// Feeds that Redis does not have (a new deployment, a Redis restart) start from the room's history.
const withRooms = await db().channel.findMany({ where: { matrixRoomId: { not: null } }, select: { id: true } });
for (const c of withRooms) {
  const channel = await chatChannel(c.id);
  if (channel) await feed.backfill(channel).catch((err) => log.warn("could not fill a chat feed from the room's history", { channelId: c.id, error: String(err) }));
}

log.info("ready", { pid: process.pid, rooms: roomless.length ? `created ${roomless.length}` : "all present" });

onShutdown("appservice", async () => {
  clearInterval(timeoutTimer);
  clearInterval(pruneTimer);
  await chatWorker.close().catch(() => {});
  await bridge.close().catch(() => {});
});
