"use client";
// How the widget posts: matrix-js-sdk, loaded only when the viewer first sends
// (readers never load it, never register, never join). A guest account is made,
// named and joined on the first message; a rush of joins into one room is met
// with the homeserver's 429s, which are waited out with backoff while the
// viewer is told, and the read-only chat keeps flowing meanwhile.
import type { MatrixClient } from "matrix-js-sdk";
import type { PublicChat } from "../../../lib/chat/publicChat.ts";
import type { MatrixLikeError } from "./chatErrors.ts";
import { forgetCredentials, newCredentials, saveCredentials, storedCredentials, type ChatCredentials } from "./session.ts";

type Sdk = typeof import("matrix-js-sdk");

const quiet = {
  trace() {},
  debug() {},
  info() {},
  warn(...m: unknown[]) {
    console.warn("[chat]", ...m);
  },
  error(...m: unknown[]) {
    console.error("[chat]", ...m);
  },
  getChild() {
    return quiet;
  },
};

/** The first wait after a 429, doubled each time up to MAX_WAIT_MS; the homeserver's retry_after_ms wins when longer. */
const FIRST_WAIT_MS = 1000;
const MAX_WAIT_MS = 20_000;
/** How long (in waits) a viewer is kept in the queue before being told to try later. */
const GIVE_UP_MS = 180_000;

/** Told while the sender waits for the homeserver to let it in. */
export type QueueListener = (waiting: { retryInSeconds: number; attempt: number } | null) => void;

export class ChatQueueTimeout extends Error {}

const isRateLimited = (err: unknown) => (err as MatrixLikeError)?.errcode === "M_LIMIT_EXCEEDED" || (err as MatrixLikeError)?.httpStatus === 429;

/** Runs `step`, waiting out 429s with exponential backoff (and jitter, so a crowd does not retry in lockstep). */
export async function withBackoff<T>(step: () => Promise<T>, onQueue: QueueListener, sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))): Promise<T> {
  let waited = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await step();
      onQueue(null);
      return result;
    } catch (err) {
      if (!isRateLimited(err)) {
        onQueue(null);
        throw err;
      }
      const backoff = Math.min(MAX_WAIT_MS, FIRST_WAIT_MS * 2 ** (attempt - 1));
      const wait = Math.max((err as MatrixLikeError).data?.retry_after_ms ?? 0, backoff * (0.7 + Math.random() * 0.6));
      if (waited + wait > GIVE_UP_MS) {
        onQueue(null);
        throw new ChatQueueTimeout("The chat is very busy right now. Try again in a minute.");
      }
      onQueue({ retryInSeconds: Math.ceil(wait / 1000), attempt });
      await sleep(wait);
      waited += wait;
    }
  }
}

export class ChatSender {
  private sdk: Sdk | null = null;
  private client: MatrixClient | null = null;
  private creds: ChatCredentials | null;
  private registering: Promise<ChatCredentials> | null = null;
  /** The room we are in, as far as we know; a kick or ban seen in the feed clears it. */
  private joinedRoom: string | null = null;

  constructor(
    private chat: PublicChat,
    private readonly slug: string,
    private readonly onQueue: QueueListener,
  ) {
    this.creds = storedCredentials(chat);
  }

  /** The account already made in this tab (reloads keep it), if any. */
  identity(): ChatCredentials | null {
    return this.creds;
  }

  update(chat: PublicChat): void {
    this.chat = chat;
  }

  leftRoom(): void {
    this.joinedRoom = null;
  }

  private async ready(): Promise<{ sdk: Sdk; client: MatrixClient; creds: ChatCredentials }> {
    const sdk = (this.sdk ??= await import("matrix-js-sdk"));
    const make = (c: ChatCredentials | null) =>
      sdk.createClient({
        baseUrl: this.chat.homeserverUrl,
        ...(c ? { accessToken: c.accessToken, userId: c.userId, deviceId: c.deviceId || undefined } : {}),
        logger: quiet,
        // No sync, no store worth keeping, no crypto: the room is public and read through the feed.
        store: new sdk.MemoryStore(),
        cryptoStore: new sdk.MemoryCryptoStore(),
        // Failed sends are reported at once instead of retried behind the reader's back.
        scheduler: new sdk.MatrixScheduler(() => -1),
      });
    if (!this.creds) {
      // One account per widget, even if two sends race to make it.
      this.registering ??= withBackoff(() => newCredentials(this.chat, this.slug, () => make(null).registerGuest()), this.onQueue).finally(() => (this.registering = null));
      const creds = await this.registering;
      saveCredentials(this.chat, creds);
      this.creds = creds;
      this.client = null;
    }
    if (!this.client) {
      this.client = make(this.creds);
      if (this.creds.guest) this.client.setGuest(true);
    }
    return { sdk, client: this.client, creds: this.creds };
  }

  /** Joins (or re-joins after a kick), queueing behind the homeserver's join limit. Returns the room id. */
  private async join(client: MatrixClient): Promise<string> {
    const target = this.chat.roomId ?? this.chat.alias;
    const { roomId } = await withBackoff(() => client.joinRoom(target), this.onQueue);
    this.joinedRoom = roomId;
    return roomId;
  }

  /**
   * Sends a text message, making the account and joining first if need be.
   * `guestName` is applied to a new guest before it joins, so its join (and
   * first message) already carry it. Resolves to the event id.
   */
  async send(text: string, guestName: string | null): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const { sdk, client, creds } = await this.ready();
      try {
        if (creds.guest && guestName && creds.displayName !== guestName) await this.applyName(client, creds, guestName);
        const roomId = this.joinedRoom ?? (await this.join(client));
        const res = await client.sendMessage(roomId, { msgtype: sdk.MsgType.Text, body: text });
        return res.event_id;
      } catch (err) {
        const e = err as MatrixLikeError;
        // A stored login the homeserver no longer knows (logged out, server reset): start over once.
        if (e.errcode === "M_UNKNOWN_TOKEN" && attempt === 0) {
          forgetCredentials(this.chat);
          this.creds = null;
          this.client = null;
          this.joinedRoom = null;
          continue;
        }
        // Kicked since we joined: join again once (a ban refuses the join).
        if (e.errcode === "M_FORBIDDEN" && this.joinedRoom && attempt === 0) {
          this.joinedRoom = null;
          continue;
        }
        throw err;
      }
    }
  }

  /** A guest's display name: their profile, copied by the homeserver into the room's member event. */
  async setName(name: string): Promise<void> {
    const { client, creds } = await this.ready();
    await this.applyName(client, creds, name);
    if (this.joinedRoom) await this.memberNameIs(client, this.joinedRoom, creds.userId, name);
  }

  private async applyName(client: MatrixClient, creds: ChatCredentials, name: string): Promise<void> {
    await client.setDisplayName(name);
    creds.displayName = name;
    saveCredentials(this.chat, creds);
  }

  /** The homeserver updates member events in the background; wait (a few seconds at most) so the next message carries the name. */
  private async memberNameIs(client: MatrixClient, roomId: string, userId: string, name: string): Promise<void> {
    for (let i = 0; i < 16; i++) {
      const member = (await client.getStateEvent(roomId, "m.room.member", userId).catch(() => null)) as { displayname?: string } | null;
      if (member?.displayname === name) return;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
