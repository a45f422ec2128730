"use client";
// The widget's chat: read from the channel's feed (Server-Sent Events from our
// web tier, see lib/chat/feed.ts), written through the homeserver (chatSender.ts,
// only once the viewer posts). Reading costs the homeserver nothing; the
// browser reconnects by itself and resumes where it stopped.
import { useCallback, useEffect, useRef, useState } from "react";
import { FEED_EVENT, type FeedEntry, type FeedPage } from "../../../lib/chat/feed.ts";
import { FeedView } from "../../../lib/chat/feedView.ts";
import type { PublicChat } from "../../../lib/chat/publicChat.ts";
import { messageKind, shownName, type ChatItem } from "./ChatMessage.tsx";
import { ChatQueueTimeout, ChatSender } from "./chatSender.ts";
import { nameProblem, sendProblem, setupProblem } from "./chatErrors.ts";
import { saveGuestName, storedGuestName } from "./session.ts";

export type Phase = { kind: "connecting" } | { kind: "ready" } | { kind: "unavailable"; message: string; retryable: boolean };

export interface Me {
  /** Empty for a guest who has not posted yet (their account is made on the first message). */
  userId: string;
  guest: boolean;
  displayName: string | null;
}

/** Waiting for the homeserver to let the viewer in (a rush of joins). */
export interface JoinQueue {
  retryInSeconds: number;
  attempt: number;
}

interface Pending {
  localId: string;
  text: string;
  ts: number;
  /** Known once the homeserver took it; the row then gives way to the feed's (or shows its removal). */
  eventId: string | null;
}

function deriveItems(view: FeedView, pending: Pending[], me: Me): ChatItem[] {
  const items: ChatItem[] = [];
  for (const m of view.list()) {
    const kind = messageKind(m.content.msgtype, m.redacted !== null);
    const removedReason = m.sender === me.userId && m.redacted && m.redacted.by !== me.userId ? m.redacted.reason : null;
    const name = shownName(m.name, m.sender);
    const senderPower = view.powerOf(m.sender);
    items.push({ id: m.id, sender: m.sender, name, ts: m.ts, kind, content: { ...m.content }, pending: false, removedReason, senderPower, sig: `${m.id}|${m.rev}|${name}|${senderPower}|${removedReason}` });
  }
  for (const p of pending) {
    if (p.eventId && view.has(p.eventId)) continue;
    const id = p.eventId ?? p.localId;
    const name = me.displayName || me.userId;
    // The room's rules removed it before anyone saw it (word filter, slow mode): only its author learns why.
    const removed = p.eventId ? view.redactionOf(p.eventId) : null;
    const kind = removed ? "deleted" : "text";
    const removedReason = removed && removed.by !== me.userId ? removed.reason : null;
    items.push({ id, sender: me.userId, name, ts: p.ts, kind, content: { msgtype: "m.text", body: p.text }, pending: !p.eventId, removedReason, senderPower: view.powerOf(me.userId), sig: `${id}|${kind}|${name}|${removedReason}` });
  }
  return items;
}

/** A send's outcome: sent (and how long slow mode now holds the viewer back), or a problem to show. */
export type SendResult = { ok: true; slowModeSeconds: number } | { ok: false; problem: string };

export interface ChatConnection {
  /** The channel's chat as last read from the server (re-read on a retry). */
  info: PublicChat;
  phase: Phase;
  reconnecting: boolean;
  items: ChatItem[];
  canLoadEarlier: boolean;
  loadingEarlier: boolean;
  /** The viewer's power level in the room. */
  myPower: number;
  /** "join" unless someone else kicked ("leave") or banned ("ban") the viewer. */
  membership: string;
  me: Me | null;
  /** Set while a post waits for the homeserver to admit the viewer. */
  joinQueue: JoinQueue | null;
  /** Start over: the feed opened again, the room's address read again. */
  retry: () => void;
  /** Whether the chat is readable (and so can be written to). */
  connected: () => boolean;
  /** Resolves to a problem to show, or null. */
  loadEarlier: () => Promise<string | null>;
  /** `onSending` runs as the message is shown as sending (before any account, join or queue). */
  sendText: (text: string, onSending: () => void) => Promise<SendResult>;
  /** A guest's display name. Resolves to a problem to show, or null. */
  setDisplayName: (name: string) => Promise<string | null>;
}

function initialMe(chat: PublicChat, sender: ChatSender): Me {
  if (chat.viewer) return { userId: chat.viewer.matrixUserId, guest: false, displayName: chat.viewer.displayName };
  const creds = sender.identity();
  if (creds) return { userId: creds.userId, guest: creds.guest, displayName: creds.displayName };
  return { userId: "", guest: true, displayName: storedGuestName(chat) };
}

export function useChatConnection(slug: string, initial: PublicChat): ChatConnection {
  const [info, setInfo] = useState<PublicChat>(initial);
  const [attempt, setAttempt] = useState(0);
  const [phase, setPhase] = useState<Phase>({ kind: "connecting" });
  const [reconnecting, setReconnecting] = useState(false);
  const [items, setItems] = useState<ChatItem[]>([]);
  const [canLoadEarlier, setCanLoadEarlier] = useState(false);
  const [loadingEarlier, setLoadingEarlier] = useState(false);
  const [joinQueue, setJoinQueue] = useState<JoinQueue | null>(null);
  const [me, setMe] = useState<Me | null>(null);
  const [membership, setMembership] = useState("join");
  const [myPower, setMyPower] = useState(0);

  const infoRef = useRef(info);
  infoRef.current = info;
  const senderRef = useRef<ChatSender | null>(null);
  const viewRef = useRef(new FeedView());
  const pendingRef = useRef<Pending[]>([]);
  const meRef = useRef<Me | null>(null);
  const refreshRef = useRef<() => void>(() => {});
  const readyRef = useRef(false);

  const sender = () => (senderRef.current ??= new ChatSender(infoRef.current, slug, setJoinQueue));

  useEffect(() => {
    let cancelled = false;
    let scheduled = false;
    let source: EventSource | null = null;
    readyRef.current = false;
    setPhase({ kind: "connecting" });
    setReconnecting(false);
    const firstMe = initialMe(infoRef.current, sender());
    meRef.current = firstMe;
    setMe(firstMe);

    const refresh = () => {
      if (scheduled) return;
      scheduled = true;
      // Entries come in bursts; one render per burst.
      setTimeout(() => {
        scheduled = false;
        if (cancelled) return;
        const view = viewRef.current;
        const mine = meRef.current ?? firstMe;
        pendingRef.current = pendingRef.current.filter((p) => !(p.eventId && view.has(p.eventId)));
        setItems(deriveItems(view, pendingRef.current, mine));
        setMyPower(view.powerOf(mine.userId));
        const m = mine.userId ? view.membershipOf(mine.userId) : null;
        setMembership(m?.membership ?? "join");
      }, 0);
    };
    refreshRef.current = refresh;

    (async () => {
      if (attempt > 0) {
        // A retry re-reads where the room is: it may have been created meanwhile.
        const res = await fetch(`/api/chat/${encodeURIComponent(slug)}`, { cache: "no-store" }).catch(() => null);
        if (res?.ok) {
          const chat = (await res.json()) as PublicChat;
          if (cancelled) return;
          setInfo(chat);
          infoRef.current = chat;
          sender().update(chat);
        }
      }
      if (cancelled) return;
      source = new EventSource(`/api/chat/${encodeURIComponent(slug)}/feed`);
      source.addEventListener(FEED_EVENT.page, (ev) => {
        // The start of the chat, or a fresh start after falling too far behind.
        const page = JSON.parse((ev as MessageEvent<string>).data) as FeedPage;
        const view = new FeedView();
        view.power = page.power;
        for (const [sid, entry] of page.entries) view.apply(sid, entry);
        viewRef.current = view;
        setCanLoadEarlier(page.more);
        readyRef.current = true;
        setPhase({ kind: "ready" });
        setReconnecting(false);
        refresh();
      });
      source.addEventListener("message", (ev) => {
        const entry = JSON.parse(ev.data) as FeedEntry;
        viewRef.current.apply(ev.lastEventId, entry);
        const mine = meRef.current;
        if (entry.t === "member" && mine && entry.userId === mine.userId) senderRef.current?.leftRoom();
        refresh();
      });
      source.onopen = () => setReconnecting(false);
      source.onerror = () => {
        if (cancelled || !source) return;
        if (source.readyState === EventSource.CLOSED) {
          // Refused (not a stream): the browser does not retry by itself.
          source.close();
          setPhase({ kind: "unavailable", message: "Chat is not available right now.", retryable: true });
        } else if (readyRef.current) setReconnecting(true);
        else {
          source.close();
          setPhase({ kind: "unavailable", message: "Chat is not available right now.", retryable: true });
        }
      };
    })().catch((err) => {
      if (cancelled) return;
      console.warn("[chat] could not connect", err);
      setPhase({ kind: "unavailable", ...setupProblem(err) });
    });

    return () => {
      cancelled = true;
      refreshRef.current = () => {};
      source?.close();
    };
  }, [attempt, slug]);

  const retry = useCallback(() => setAttempt((a) => a + 1), []);

  const connected = useCallback(() => readyRef.current, []);

  const loadEarlier = useCallback(async (): Promise<string | null> => {
    const view = viewRef.current;
    if (!view.oldest) return null;
    setLoadingEarlier(true);
    try {
      const res = await fetch(`/api/chat/${encodeURIComponent(slug)}/feed?before=${encodeURIComponent(view.oldest)}`, { cache: "no-store" });
      if (!res.ok) return "Could not load earlier messages. Try again.";
      const page = (await res.json()) as FeedPage;
      for (const [sid, entry] of page.entries) view.apply(sid, entry);
      setCanLoadEarlier(page.more);
      return null;
    } catch {
      return "Could not load earlier messages. Try again.";
    } finally {
      setLoadingEarlier(false);
      refreshRef.current();
    }
  }, [slug]);

  const sendText = useCallback(async (text: string, onSending: () => void): Promise<SendResult> => {
    const s = sender();
    const mine = meRef.current;
    const pending: Pending = { localId: `local-${Date.now()}-${Math.random().toString(36).slice(2)}`, text, ts: Date.now(), eventId: null };
    // Shown at once as sending: a first message may wait for the account, the join and a queue.
    onSending();
    pendingRef.current = [...pendingRef.current, pending];
    refreshRef.current();
    try {
      const eventId = await s.send(text, mine?.guest ? mine.displayName : null);
      pending.eventId = eventId;
      const creds = s.identity();
      if (creds && mine && mine.userId !== creds.userId) {
        // The guest account was made by this message.
        meRef.current = { ...mine, userId: creds.userId };
        setMe(meRef.current);
      }
      const chat = infoRef.current;
      return { ok: true, slowModeSeconds: chat.viewer?.canModerate ? 0 : chat.slowModeSeconds };
    } catch (err) {
      pendingRef.current = pendingRef.current.filter((p) => p !== pending);
      if (err instanceof ChatQueueTimeout) return { ok: false, problem: err.message };
      const m = mine?.userId ? viewRef.current.membershipOf(mine.userId) : null;
      return { ok: false, problem: sendProblem(err, m?.membership) };
    } finally {
      refreshRef.current();
    }
  }, []);

  const setDisplayName = useCallback(async (name: string): Promise<string | null> => {
    const mine = meRef.current;
    try {
      // Before the first message there is no account yet: the name is kept for it.
      if (sender().identity()) await sender().setName(name);
      else saveGuestName(infoRef.current, name);
      meRef.current = mine ? { ...mine, displayName: name } : mine;
      setMe(meRef.current);
      return null;
    } catch (err) {
      return nameProblem(err);
    }
  }, []);

  return { info, phase, reconnecting, items, canLoadEarlier, loadingEarlier, myPower, membership, me, joinQueue, retry, connected, loadEarlier, sendText, setDisplayName };
}
