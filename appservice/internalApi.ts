// Calls from Livehouse's own roles (the web app) into the appservice, on the
// same listener as the homeserver's calls but authenticated with the internal
// secret instead of hs_token. The web app authorises the user; we act.
import type { Express, Request, Response } from "express";
import { moderationSchema } from "../lib/chat/rules.ts";
import { chatChannel } from "../lib/chat/store.ts";
import { config } from "../lib/config.ts";
import { internalSecret } from "../lib/internalAuth.ts";
import { logger } from "../lib/log.ts";
import { bearer, tokenMatches } from "./hsAppService.ts";
import { ModerationRefused, ModerationTargetMissing, type ActorRole, type Moderation } from "./moderation.ts";
import type { ChatFeedWriter } from "./chatFeed.ts";
import type { RoomKeeper } from "./rooms.ts";
import type { VirtualUsers } from "./virtualUsers.ts";

const log = logger("appservice");
// The web's per-session chat devices (lib/sessions.ts chatDeviceId).
const DEVICE_ID = /^LHW[0-9A-F]{20}$/;

export function installInternalApi(app: Express, deps: { rooms: RoomKeeper; moderation: Moderation; users: VirtualUsers; feed: ChatFeedWriter }): void {
  const guard = async (req: Request, res: Response): Promise<boolean> => {
    if (tokenMatches(await internalSecret(), bearer(req))) return true;
    res.status(403).send({ errcode: "M_FORBIDDEN", error: "Bad token supplied" });
    return false;
  };
  const route = (handler: (req: Request, res: Response) => Promise<void>) => async (req: Request, res: Response) => {
    try {
      if (!(await guard(req, res))) return;
      await handler(req, res);
    } catch (err) {
      if (err instanceof ModerationTargetMissing) {
        res.status(404).send({ error: err.message });
        return;
      }
      if (err instanceof ModerationRefused) {
        res.status(422).send({ error: err.message });
        return;
      }
      const matrixError = (err as { body?: { error?: string; errcode?: string } }).body;
      log.error("internal request failed", { path: req.path, error: String(err), errcode: matrixError?.errcode });
      res.status(502).send({ error: matrixError?.error ? `The homeserver refused: ${matrixError.error}` : "The chat server did not answer. Try again." });
    }
  };

  app.post(
    "/_livehouse/v1/session",
    route(async (req, res) => {
      const { livehouseUserId, displayName, deviceId } = req.body ?? {};
      if (typeof livehouseUserId !== "string" || typeof displayName !== "string" || typeof deviceId !== "string" || !DEVICE_ID.test(deviceId)) {
        res.status(400).send({ error: "livehouseUserId, displayName and deviceId are required" });
        return;
      }
      res.send(await deps.users.session(livehouseUserId, displayName, deviceId));
    }),
  );

  app.post(
    "/_livehouse/v1/logout",
    route(async (req, res) => {
      const { livehouseUserId, deviceIds } = req.body ?? {};
      const valid = deviceIds === "all" || (Array.isArray(deviceIds) && deviceIds.length <= 1000 && deviceIds.every((d) => typeof d === "string" && DEVICE_ID.test(d)));
      if (typeof livehouseUserId !== "string" || !valid) {
        res.status(400).send({ error: "livehouseUserId and deviceIds (a list, or \"all\") are required" });
        return;
      }
      res.send({ ended: await deps.users.endDevices(livehouseUserId, deviceIds) });
    }),
  );

  app.post(
    "/_livehouse/v1/channels/:channelId/sync",
    route(async (req, res) => {
      const roomId = await deps.rooms.sync(String(req.params.channelId));
      if (!roomId) res.status(404).send({ error: "Channel not found" });
      else res.send({ roomId });
    }),
  );

  app.post(
    "/_livehouse/v1/channels/:channelId/moderate",
    route(async (req, res) => {
      const channel = await channelOr404(req, res);
      if (!channel) return;
      const parsed = moderationSchema.safeParse(req.body?.command);
      const actor = req.body?.actor as ActorRole;
      if (!parsed.success || (actor !== "owner" && actor !== "moderator")) {
        res.status(400).send({ error: parsed.success ? "Unknown actor role" : (parsed.error.issues[0]?.message ?? "Invalid command") });
        return;
      }
      await deps.moderation.apply(channel, parsed.data, actor);
      res.send({});
    }),
  );

  app.post(
    "/_livehouse/v1/channels/:channelId/feed-backfill",
    route(async (req, res) => {
      const channel = await channelOr404(req, res);
      if (!channel) return;
      await deps.feed.backfill(channel);
      res.send({});
    }),
  );

  app.get("/_livehouse/v1/health", (_req, res) => {
    res.send({ ok: true, serverName: config.matrixServerName });
  });
}

/** The channel the path names, or null after answering 404. */
async function channelOr404(req: Request, res: Response) {
  const channel = await chatChannel(String(req.params.channelId));
  if (!channel) res.status(404).send({ error: "Channel not found" });
  return channel;
}
