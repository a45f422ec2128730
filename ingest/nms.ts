// The parts of node-media-server 4 that Livehouse uses: its RTMP protocol and
// session classes and its in-process broadcast registry. Not its NodeMediaServer
// class: that would also start its HTTP/REST API, web admin, JSON store, relays
// and recorder, none of which we want listening.
import { createRequire } from "node:module";
import { logger } from "../lib/log.ts";

const require = createRequire(import.meta.url);

export interface NmsPacket {
  codec_type: number; // 8 audio, 9 video, 18 script
  codec_id: number;
  flags: number; // 0 audio header, 1 audio, 2 video header, 3 keyframe, 4 inter frame, 5 metadata
  dts: number;
  pts: number;
  size: number;
  data: Buffer;
}

export interface NmsBroadcast {
  streamPath: string;
  publisher: NmsSession | null;
  subscribers: Map<string, NmsSession>;
  publishGraceMs: number;
  broadcastMessage: (packet: NmsPacket) => void;
}

export interface NmsSession {
  id: string;
  ip: string;
  socket: import("node:net").Socket;
  streamApp: string;
  streamName: string;
  streamPath: string;
  streamQuery: Record<string, string | string[] | undefined>;
  broadcast: NmsBroadcast;
  isPublisher: boolean;
  inBytes: number;
  videoWidth: number;
  videoHeight: number;
  videoFramerate: number;
  videoDatarate: number;
  onData: (data: Buffer) => void;
  run: () => void;
  close: () => void;
}

export const Context = require("node-media-server/src/core/context.js") as {
  config: Record<string, unknown>;
  sessions: Map<string, NmsSession>;
  broadcasts: Map<string, NmsBroadcast>;
  eventEmitter: import("node:events").EventEmitter;
};
export const RtmpSession = require("node-media-server/src/session/rtmp_session.js") as new (
  socket: import("node:net").Socket,
) => NmsSession;

const nmsLogger = require("node-media-server/src/core/logger.js") as { log: (msg: string, level?: string) => void };
const log = logger("ingest");

// NMS log lines carry stream paths, i.e. stream keys. Keep only its warnings and
// errors, with every path masked.
nmsLogger.log = (message: string, level = "info") => {
  if (level !== "warn" && level !== "error") return;
  const masked = String(message).replace(/\/[^\s/,]+\/[^\s,]+/g, "/[path]").replace(/name=\S+/g, "name=[redacted]");
  log.warn("rtmp", { detail: masked });
};

// No signed-URL auth, no recording: publish authorisation is ours (ingest/server.ts).
Context.config = {};
