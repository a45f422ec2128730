"use client";
// A channel's chat: the channel's Matrix room, spoken to directly by
// matrix-js-sdk in the browser (no end-to-end encryption: the room is public).
// Anonymous viewers read as a Matrix guest and choose a display name before
// they post; logged-in viewers chat as their virtual Matrix user. Everything
// new arrives through the SDK's sync; this component never polls.
import { useCallback, useEffect, useLayoutEffect, useRef, useState, type FormEvent } from "react";
import type { MatrixClient, MatrixEvent, Room } from "matrix-js-sdk";
import type { PublicChat } from "../../../lib/chat/publicChat.ts";
import { ChatMessage, type ChatItem, type ModAction } from "./ChatMessage.tsx";
import { ChatSetupError, forgetCredentials, newCredentials, saveCredentials, storedCredentials, type ChatCredentials } from "./session.ts";

type Sdk = typeof import("matrix-js-sdk");

type Phase = { kind: "connecting" } | { kind: "ready" } | { kind: "unavailable"; message: string; retryable: boolean };

interface Me {
  userId: string;
  guest: boolean;
  displayName: string | null;
}

const NAME_MAX = 40;
const MESSAGE_MAX = 1000;
const MODERATOR_POWER = 50;
/** The homeserver sees a message a little after we do: wait this much longer than slow mode says. */
const SLOW_MODE_MARGIN_MS = 750;
/** Messages to have on screen after connecting before the reader asks for more. */
const INITIAL_MESSAGES = 30;

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

interface MatrixLikeError {
  errcode?: string;
  name?: string;
  message?: string;
  data?: { error?: string; retry_after_ms?: number };
  httpStatus?: number;
}

function setupProblem(err: unknown): { message: string; retryable: boolean } {
  if (err instanceof ChatSetupError) return { message: err.message, retryable: err.retryable };
  const e = err as MatrixLikeError;
  if (e?.errcode === "M_FORBIDDEN") return { message: `You can't join this chat: ${e.data?.error ?? "the chat server refused."}`, retryable: true };
  if (e?.errcode === "M_GUEST_ACCESS_FORBIDDEN") return { message: "Guests can't join this chat. Log in to chat.", retryable: false };
  if (e?.errcode === "M_NOT_FOUND") return { message: "This channel's chat room is still being set up.", retryable: true };
  return { message: "Chat is not available right now.", retryable: true };
}

function sendProblem(err: unknown, membership: string | undefined): string {
  const e = err as MatrixLikeError;
  if (membership === "ban") return "You can't post here: you are banned or timed out from this chat.";
  switch (e?.errcode) {
    case "M_LIMIT_EXCEEDED": {
      const s = Math.max(1, Math.ceil((e.data?.retry_after_ms ?? 1000) / 1000));
      return `You're sending messages too fast. Try again in ${s} s.`;
    }
    case "M_FORBIDDEN":
      return `The chat server refused your message: ${e.data?.error ?? "not allowed"}.`;
    case "M_TOO_LARGE":
      return "That message is too long.";
  }
  if (e?.name === "ConnectionError") return "Could not reach the chat server. Check your connection and try again.";
  if (e?.errcode) return e.data?.error || e.message || "Your message was not sent. Try again.";
  return "Your message was not sent. Try again.";
}

/** The room's messages as rows, oldest first, pending sends last. */
function deriveItems(sdk: Sdk, room: Room): { items: ChatItem[]; canLoadEarlier: boolean; myPower: number; membership: string } {
  const timeline = room.getLiveTimeline();
  const state = timeline.getState(sdk.EventTimeline.FORWARDS);
  const pl = (state?.getStateEvents("m.room.power_levels", "")?.getContent() ?? {}) as { users?: Record<string, number>; users_default?: number };
  const power = (u: string) => (typeof pl.users?.[u] === "number" ? pl.users[u] : (pl.users_default ?? 0));
  const me = room.client.getUserId() ?? "";
  const events: MatrixEvent[] = [...timeline.getEvents(), ...room.getPendingEvents()];
  const items: ChatItem[] = [];
  for (const ev of events) {
    if (ev.getType() !== "m.room.message") continue;
    const wire = ev.getWireContent() as { "m.relates_to"?: { rel_type?: string } };
    if (wire?.["m.relates_to"]?.rel_type === "m.replace") continue;
    const id = ev.getId();
    const sender = ev.getSender();
    if (!id || !sender) continue;
    const content = ev.getContent() as Record<string, unknown>;
    const msgtype = String(content.msgtype ?? "");
    const redacted = ev.isRedacted();
    const kind: ChatItem["kind"] = redacted
      ? "deleted"
      : msgtype === "m.notice"
        ? "notice"
        : msgtype === "m.emote"
          ? "emote"
          : ["m.image", "m.video", "m.audio", "m.file", "m.location"].includes(msgtype)
            ? "attachment"
            : "text";
    const because = redacted ? (ev.getUnsigned().redacted_because as { content?: { reason?: unknown }; sender?: string } | undefined) : undefined;
    const removedReason = sender === me && because && because.sender !== me && typeof because.content?.reason === "string" ? because.content.reason : null;
    const name = ev.sender?.name || state?.getMember(sender)?.name || sender;
    const pending = ev.status !== null;
    const senderPower = power(sender);
    items.push({
      id,
      sender,
      name,
      ts: ev.getTs(),
      kind,
      content,
      pending,
      removedReason,
      senderPower,
      sig: `${id}|${kind}|${name}|${pending}|${senderPower}|${removedReason}|${ev.replacingEventId() ?? ""}`,
    });
  }
  const first = timeline.getEvents()[0];
  const canLoadEarlier = timeline.getPaginationToken(sdk.EventTimeline.BACKWARDS) !== null && first?.getType() !== "m.room.create";
  return { items, canLoadEarlier, myPower: power(me), membership: room.getMyMembership() };
}

/** Resolves once the room's member event for us carries `name` (or after a few seconds regardless). */
function ownNameInRoom(sdk: Sdk, client: MatrixClient, roomId: string, name: string, timeoutMs = 8000): Promise<void> {
  const me = client.getUserId();
  const done = () => client.getRoom(roomId)?.getMember(me ?? "")?.rawDisplayName === name;
  if (done()) return Promise.resolve();
  return new Promise((resolve) => {
    const check = () => {
      if (!done()) return;
      finish();
    };
    const finish = () => {
      clearTimeout(timer);
      client.off(sdk.RoomMemberEvent.Name, check);
      client.off(sdk.RoomStateEvent.Members, check);
      resolve();
    };
    const timer = setTimeout(finish, timeoutMs);
    client.on(sdk.RoomMemberEvent.Name, check);
    client.on(sdk.RoomStateEvent.Members, check);
  });
}

export interface ChatWidgetProps {
  slug: string;
  initial: PublicChat;
  /** The chat-only embed: full height, links open in a new tab. */
  embed?: boolean;
}

export function ChatWidget({ slug, initial, embed = false }: ChatWidgetProps) {
  const [info, setInfo] = useState<PublicChat>(initial);
  const [attempt, setAttempt] = useState(0);
  const [phase, setPhase] = useState<Phase>({ kind: "connecting" });
  const [reconnecting, setReconnecting] = useState(false);
  const [items, setItems] = useState<ChatItem[]>([]);
  const [canLoadEarlier, setCanLoadEarlier] = useState(false);
  const [loadingEarlier, setLoadingEarlier] = useState(false);
  const [myPower, setMyPower] = useState(0);
  const [membership, setMembership] = useState("join");
  const [me, setMe] = useState<Me | null>(null);
  const [draft, setDraft] = useState("");
  const [nameDraft, setNameDraft] = useState("");
  const [editingName, setEditingName] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [modStatus, setModStatus] = useState<{ ok: boolean; text: string } | null>(null);
  const [openMenu, setOpenMenu] = useState<string | null>(null);
  const [cooldownUntil, setCooldownUntil] = useState(0);
  const [now, setNow] = useState(0);
  const [unseen, setUnseen] = useState(0);
  const [copied, setCopied] = useState(false);

  const sdkRef = useRef<Sdk | null>(null);
  const clientRef = useRef<MatrixClient | null>(null);
  const roomIdRef = useRef<string | null>(null);
  const credsRef = useRef<ChatCredentials | null>(null);
  const infoRef = useRef(info);
  infoRef.current = info;
  const refreshRef = useRef<() => void>(() => {});

  // ---- connection -------------------------------------------------------
  useEffect(() => {
    let cancelled = false;
    let client: MatrixClient | null = null;
    let scheduled = false;
    setPhase({ kind: "connecting" });
    setReconnecting(false);

    const refresh = () => {
      if (scheduled) return;
      scheduled = true;
      setTimeout(() => {
        scheduled = false;
        const sdk = sdkRef.current;
        const room = roomIdRef.current ? client?.getRoom(roomIdRef.current) : null;
        if (cancelled || !sdk || !room) return;
        const d = deriveItems(sdk, room);
        setItems(d.items);
        setCanLoadEarlier(d.canLoadEarlier);
        setMyPower(d.myPower);
        setMembership(d.membership);
      }, 0);
    };
    refreshRef.current = refresh;

    (async () => {
      const sdk = await import("matrix-js-sdk");
      sdkRef.current = sdk;
      let chat = infoRef.current;
      if (attempt > 0) {
        // A retry re-reads where the room is: it may have been created meanwhile.
        const res = await fetch(`/api/chat/${encodeURIComponent(slug)}`, { cache: "no-store" }).catch(() => null);
        if (res?.ok) {
          chat = (await res.json()) as PublicChat;
          if (!cancelled) setInfo(chat);
        }
      }
      const make = (c: ChatCredentials | null) =>
        sdk.createClient({
          baseUrl: chat.homeserverUrl,
          ...(c ? { accessToken: c.accessToken, userId: c.userId, deviceId: c.deviceId || undefined } : {}),
          logger: quiet,
          // No localStorage (it may be off in a third-party frame) and no crypto: the room is not encrypted.
          store: new sdk.MemoryStore(),
          cryptoStore: new sdk.MemoryCryptoStore(),
          // Failed sends are reported at once instead of retried behind the reader's back.
          scheduler: new sdk.MatrixScheduler(() => -1),
        });

      let creds = storedCredentials(chat);
      let roomId = "";
      for (let tries = 0; ; tries++) {
        if (!creds) {
          creds = await newCredentials(chat, slug, () => make(null).registerGuest());
          saveCredentials(chat, creds);
        }
        client = make(creds);
        if (creds.guest) client.setGuest(true);
        try {
          roomId = (await client.joinRoom(chat.roomId ?? chat.alias)).roomId;
          break;
        } catch (err) {
          // A stored login the homeserver no longer knows (logged out, server reset): start over once.
          if ((err as MatrixLikeError).errcode === "M_UNKNOWN_TOKEN" && tries === 0) {
            forgetCredentials(chat);
            creds = null;
            continue;
          }
          throw err;
        }
      }
      if (cancelled) return;
      credsRef.current = creds;
      roomIdRef.current = roomId;
      setMe({ userId: creds.userId, guest: creds.guest, displayName: creds.displayName });

      let prepared = false;
      client.on(sdk.ClientEvent.Sync, (state) => {
        if (cancelled) return;
        if (state === sdk.SyncState.Prepared || state === sdk.SyncState.Syncing || state === sdk.SyncState.Catchup) {
          setReconnecting(false);
          if (!prepared) {
            prepared = true;
            setPhase({ kind: "ready" });
            refresh();
            void fillInitial();
          }
        } else if (state === sdk.SyncState.Error || state === sdk.SyncState.Reconnecting) {
          if (prepared) setReconnecting(true);
          else if (state === sdk.SyncState.Error) {
            client?.stopClient();
            setPhase({ kind: "unavailable", message: "Chat is not available right now.", retryable: true });
          }
        }
      });
      const ours = (room: Room | undefined) => room?.roomId === roomId;
      client.on(sdk.RoomEvent.Timeline, (_ev, room) => ours(room) && refresh());
      client.on(sdk.RoomEvent.TimelineReset, (room) => ours(room) && refresh());
      client.on(sdk.RoomEvent.Redaction, (_ev, room) => ours(room) && refresh());
      client.on(sdk.RoomEvent.LocalEchoUpdated, (_ev, room) => ours(room) && refresh());
      client.on(sdk.RoomStateEvent.Events, (ev) => ev.getRoomId() === roomId && refresh());
      client.on(sdk.RoomEvent.MyMembership, (room) => ours(room) && refresh());

      const fillInitial = async () => {
        // A guest's first sync carries only a few events; fetch a screenful of history.
        for (let i = 0; i < 4 && !cancelled; i++) {
          const room = client?.getRoom(roomId);
          if (!room || !sdkRef.current) return;
          const d = deriveItems(sdkRef.current, room);
          if (d.items.length >= INITIAL_MESSAGES || !d.canLoadEarlier) return;
          await client!.scrollback(room, INITIAL_MESSAGES).catch(() => null);
          refresh();
        }
      };

      // The homeserver forgot this login (logged out, account reset): get a new one.
      client.on(sdk.HttpApiEvent.SessionLoggedOut, () => {
        if (cancelled) return;
        forgetCredentials(chat);
        setAttempt((a) => a + 1);
      });

      clientRef.current = client;
      // Detached: our own sends wait in room.getPendingEvents() until the homeserver has them.
      await client.startClient({ initialSyncLimit: INITIAL_MESSAGES, lazyLoadMembers: true, disablePresence: true, pendingEventOrdering: sdk.PendingEventOrdering.Detached });
    })().catch((err) => {
      if (cancelled) return;
      console.warn("[chat] could not connect", err);
      setPhase({ kind: "unavailable", ...setupProblem(err) });
    });

    return () => {
      cancelled = true;
      refreshRef.current = () => {};
      client?.stopClient();
      client?.removeAllListeners();
      if (clientRef.current === client) clientRef.current = null;
    };
  }, [attempt, slug]);

  // ---- scrolling ----------------------------------------------------------
  const logRef = useRef<HTMLDivElement>(null);
  const atBottom = useRef(true);
  const stickNext = useRef(false);
  const snap = useRef<{ first: string | null; last: string | null; firstOffset: number; top: number }>({ first: null, last: null, firstOffset: 0, top: 0 });

  const rowOffset = (id: string | null) => {
    if (!id || !logRef.current) return null;
    const el = logRef.current.querySelector(`[data-event-id="${CSS.escape(id)}"]`) as HTMLElement | null;
    return el ? el.offsetTop : null;
  };

  const onScroll = () => {
    const el = logRef.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 30;
    snap.current.top = el.scrollTop;
    if (atBottom.current) setUnseen(0);
  };

  useLayoutEffect(() => {
    const el = logRef.current;
    if (!el) return;
    const prev = snap.current;
    const first = items[0]?.id ?? null;
    const last = items.at(-1)?.id ?? null;
    if (atBottom.current || stickNext.current) {
      el.scrollTop = el.scrollHeight;
      stickNext.current = false;
      atBottom.current = true;
    } else {
      // Earlier messages were added above: keep the message the reader was looking at where it was.
      if (prev.first && first !== prev.first) {
        const offset = rowOffset(prev.first);
        if (offset !== null) el.scrollTop = prev.top + (offset - prev.firstOffset);
      }
      // New messages below do not move the view; count them instead.
      if (prev.last && last !== prev.last) {
        const idx = items.findIndex((i) => i.id === prev.last);
        if (idx >= 0) {
          const added = items.slice(idx + 1).filter((i) => i.sender !== me?.userId).length;
          if (added > 0) setUnseen((n) => n + added);
        }
      }
    }
    snap.current = { first, last, firstOffset: rowOffset(first) ?? 0, top: el.scrollTop };
  }, [items, me?.userId]);

  // The log changes height with the layout (phone rotation, composer growing): stay at the bottom if there.
  useEffect(() => {
    const el = logRef.current;
    if (!el || typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver(() => {
      if (atBottom.current) el.scrollTop = el.scrollHeight;
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [phase.kind]);

  const jumpToBottom = () => {
    const el = logRef.current;
    if (el) el.scrollTop = el.scrollHeight;
    atBottom.current = true;
    setUnseen(0);
  };

  async function loadEarlier() {
    const client = clientRef.current;
    const room = roomIdRef.current ? client?.getRoom(roomIdRef.current) : null;
    if (!client || !room) return;
    setLoadingEarlier(true);
    try {
      await client.scrollback(room, 30);
    } catch {
      setError("Could not load earlier messages. Try again.");
    } finally {
      setLoadingEarlier(false);
      refreshRef.current();
    }
  }

  // ---- slow mode countdown ------------------------------------------------
  useEffect(() => {
    if (cooldownUntil <= Date.now()) return;
    setNow(Date.now());
    const t = setInterval(() => {
      setNow(Date.now());
      if (Date.now() >= cooldownUntil) clearInterval(t);
    }, 250);
    return () => clearInterval(t);
  }, [cooldownUntil]);
  const cooldownLeft = cooldownUntil - now;
  const cooldown = cooldownLeft > 0 ? Math.max(1, Math.ceil((cooldownLeft - SLOW_MODE_MARGIN_MS) / 1000)) : 0;

  // ---- actions --------------------------------------------------------------
  async function ensureJoined(client: MatrixClient, roomId: string) {
    const membership = client.getRoom(roomId)?.getMyMembership();
    // Kicked viewers come back by posting again; banned ones get the homeserver's refusal.
    if (membership !== "join") await client.joinRoom(roomId);
  }

  async function send(e: FormEvent) {
    e.preventDefault();
    const client = clientRef.current;
    const sdk = sdkRef.current;
    const roomId = roomIdRef.current;
    const text = draft.trim();
    if (!client || !sdk || !roomId || !text || busy || cooldown > 0) return;
    setBusy(true);
    setError(null);
    try {
      await ensureJoined(client, roomId);
      stickNext.current = true;
      await client.sendMessage(roomId, { msgtype: sdk.MsgType.Text, body: text });
      setDraft("");
      const slow = infoRef.current.slowModeSeconds;
      if (slow > 0 && !infoRef.current.viewer?.canModerate) setCooldownUntil(Date.now() + slow * 1000 + SLOW_MODE_MARGIN_MS);
    } catch (err) {
      const room = client.getRoom(roomId);
      for (const ev of room?.getPendingEvents() ?? []) if (ev.status === "not_sent") client.cancelPendingEvent(ev);
      setError(sendProblem(err, room?.getMyMembership()));
    } finally {
      setBusy(false);
      refreshRef.current();
    }
  }

  async function saveName(e: FormEvent) {
    e.preventDefault();
    const client = clientRef.current;
    const sdk = sdkRef.current;
    const roomId = roomIdRef.current;
    const name = nameDraft.trim().replace(/\s+/g, " ");
    if (!client || !sdk || !roomId || !name || busy) return;
    setBusy(true);
    setError(null);
    try {
      await client.setDisplayName(name);
      // The homeserver copies the name into the room's member event in the background;
      // wait for it, so the next message already carries the name.
      await ownNameInRoom(sdk, client, roomId, name);
      const creds = credsRef.current;
      if (creds) {
        creds.displayName = name;
        saveCredentials(infoRef.current, creds);
      }
      setMe((m) => (m ? { ...m, displayName: name } : m));
      setEditingName(false);
    } catch (err) {
      setError(`Could not set your name: ${(err as MatrixLikeError).data?.error ?? "try again."}`);
    } finally {
      setBusy(false);
    }
  }

  const moderate = useCallback(async (cmd: ModAction, label: string) => {
    setModStatus(null);
    let res: Response | null = null;
    try {
      res = await fetch(`/api/channels/${encodeURIComponent(infoRef.current.channelId)}/chat/moderate`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(cmd),
      });
    } catch {}
    const body = (await res?.json().catch(() => null)) as { error?: string } | null;
    setModStatus(res?.ok ? { ok: true, text: label } : { ok: false, text: body?.error ?? "That did not work. Try again." });
  }, []);

  useEffect(() => {
    if (!modStatus) return;
    const t = setTimeout(() => setModStatus(null), modStatus.ok ? 4000 : 8000);
    return () => clearTimeout(t);
  }, [modStatus]);

  const aliasRef = useRef<HTMLElement>(null);
  async function copyAlias() {
    try {
      await navigator.clipboard.writeText(info.alias);
    } catch {
      // No clipboard API (plain-HTTP hosts): select the address so the reader can copy it.
      const sel = window.getSelection();
      if (!aliasRef.current || !sel) return;
      sel.selectAllChildren(aliasRef.current);
      return;
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 2000);
  }

  // ---- render ---------------------------------------------------------------
  const viewer = info.viewer;
  const canModerate = Boolean(viewer?.canModerate);
  const linkTarget = embed ? "_blank" : undefined;
  const needsName = me?.guest && (!me.displayName || editingName);
  const ready = phase.kind === "ready";

  return (
    <section className={`chat${embed ? " chat-embedded" : ""}`} aria-label="Chat" data-testid="chat" data-state={phase.kind}>
      <header className="chat-head">
        <strong>Chat</strong>
        {embed && (
          <a href={`/c/${encodeURIComponent(slug)}`} target="_blank" rel="noopener" className="small">
            {info.title} ↗
          </a>
        )}
        {reconnecting && (
          <span className="small chat-reconnecting" role="status" data-testid="chat-reconnecting">
            Reconnecting…
          </span>
        )}
      </header>

      <div className="chat-body">
        <div className="chat-log" ref={logRef} onScroll={onScroll} data-testid="chat-log" role="log" aria-label="Chat messages">
          {phase.kind === "connecting" && (
            <p className="chat-state" role="status" data-testid="chat-connecting">
              Connecting to chat…
            </p>
          )}
          {phase.kind === "unavailable" && (
            <div className="chat-state" role="alert" data-testid="chat-unavailable">
              <p>{phase.message}</p>
              {phase.retryable && (
                <button type="button" className="btn btn-small" onClick={() => setAttempt((a) => a + 1)} data-testid="chat-retry">
                  Try again
                </button>
              )}
            </div>
          )}
          {ready && (
            <>
              {canLoadEarlier ? (
                <div className="chat-earlier">
                  <button type="button" className="btn btn-small" onClick={loadEarlier} disabled={loadingEarlier} data-testid="chat-load-earlier">
                    {loadingEarlier ? "Loading…" : "Load earlier messages"}
                  </button>
                </div>
              ) : (
                items.length > 0 && <p className="chat-start small muted">This is the start of the chat.</p>
              )}
              {items.length === 0 && !canLoadEarlier && (
                <p className="chat-state" data-testid="chat-empty">
                  No messages yet — say hi!
                </p>
              )}
              {items.map((item) => (
                <ChatMessage
                  key={item.id}
                  item={item}
                  mod={{
                    allowed: canModerate && item.sender !== me?.userId && item.senderPower < myPower,
                    isOwner: Boolean(viewer?.isOwner),
                    open: openMenu === item.id,
                    onToggle: setOpenMenu,
                    onAction: moderate,
                  }}
                />
              ))}
            </>
          )}
        </div>
        {unseen > 0 && (
          <button type="button" className="chat-new" onClick={jumpToBottom} data-testid="chat-new-messages">
            {unseen === 1 ? "1 new message" : `${unseen} new messages`} ↓
          </button>
        )}
      </div>

      <div className="chat-foot">
        {modStatus && (
          <div className={`chat-flash ${modStatus.ok ? "ok" : "bad"}`} role="status" data-testid="chat-mod-status">
            {modStatus.text}
          </div>
        )}
        {info.slowModeSeconds > 0 && (
          <div className="small muted" data-testid="chat-slow-mode">
            Slow mode: one message every {info.slowModeSeconds} s{canModerate ? " (not for you: you moderate this chat)" : ""}
          </div>
        )}
        {ready && membership === "ban" && (
          <div className="chat-flash bad" role="status" data-testid="chat-banned">
            You are timed out or banned from this chat.
          </div>
        )}
        {error && (
          <div className="chat-error" role="alert" data-testid="chat-error">
            {error}
          </div>
        )}
        {needsName ? (
          <form className="chat-compose" onSubmit={saveName} data-testid="chat-name-form">
            <label htmlFor="chat-name" className="small chat-name-label">
              Choose a display name
            </label>
            <div className="row">
              <input
                id="chat-name"
                type="text"
                className="grow"
                value={nameDraft}
                maxLength={NAME_MAX}
                autoComplete="nickname"
                placeholder="Your name"
                onChange={(e) => setNameDraft(e.target.value)}
                disabled={!ready}
                data-testid="chat-name-input"
              />
              <button type="submit" className="btn btn-primary btn-small" disabled={!ready || busy || !nameDraft.trim()} data-testid="chat-name-save">
                {busy ? "Saving…" : "Save"}
              </button>
            </div>
            <span className="small muted">
              Or{" "}
              <a href={`/login?next=${encodeURIComponent(`/c/${slug}`)}`} target={linkTarget}>
                log in
              </a>{" "}
              to chat with your account.
            </span>
          </form>
        ) : (
          <form className="chat-compose" onSubmit={send}>
            <div className="row">
              <input
                type="text"
                className="grow"
                aria-label="Message"
                placeholder={ready ? "Say something…" : "Connecting…"}
                value={draft}
                maxLength={MESSAGE_MAX}
                autoComplete="off"
                onChange={(e) => setDraft(e.target.value)}
                disabled={!ready}
                data-testid="chat-input"
              />
              <button type="submit" className="btn btn-primary btn-small chat-send" disabled={!ready || busy || !draft.trim() || cooldown > 0} data-testid="chat-send">
                {cooldown > 0 ? `Wait ${cooldown} s` : "Send"}
              </button>
            </div>
            {me && (
              <span className="small muted" data-testid="chat-identity">
                Chatting as <strong>{me.displayName ?? me.userId}</strong>
                {me.guest && (
                  <>
                    {" · "}
                    <button
                      type="button"
                      className="btn-link small"
                      onClick={() => {
                        setNameDraft(me.displayName ?? "");
                        setEditingName(true);
                      }}
                    >
                      change
                    </button>
                  </>
                )}
              </span>
            )}
          </form>
        )}
        <div className="chat-alias small muted">
          <span>
            Join from any Matrix client: <code ref={aliasRef} data-testid="chat-alias">{info.alias}</code>
          </span>
          <button type="button" className="btn-link small" onClick={copyAlias} aria-label="Copy room address" data-testid="chat-alias-copy">
            {copied ? "Copied!" : "Copy"}
          </button>
        </div>
      </div>
    </section>
  );
}
