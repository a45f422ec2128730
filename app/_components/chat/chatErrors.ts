// What the chat widget tells the reader when connecting or sending fails.
import { ChatSetupError } from "./session.ts";

/** The parts of a matrix-js-sdk MatrixError (or ConnectionError) we look at. */
export interface MatrixLikeError {
  errcode?: string;
  name?: string;
  message?: string;
  data?: { error?: string; retry_after_ms?: number };
  httpStatus?: number;
}

export function setupProblem(err: unknown): { message: string; retryable: boolean } {
  if (err instanceof ChatSetupError) return { message: err.message, retryable: err.retryable };
  const e = err as MatrixLikeError;
  if (e?.errcode === "M_FORBIDDEN") return { message: `You can't join this chat: ${e.data?.error ?? "the chat server refused."}`, retryable: true };
  if (e?.errcode === "M_GUEST_ACCESS_FORBIDDEN") return { message: "Guests can't join this chat. Log in to chat.", retryable: false };
  if (e?.errcode === "M_NOT_FOUND") return { message: "This channel's chat room is still being set up.", retryable: true };
  return { message: "Chat is not available right now.", retryable: true };
}

export function sendProblem(err: unknown, membership: string | undefined): string {
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

export function nameProblem(err: unknown): string {
  return `Could not set your name: ${(err as MatrixLikeError | null)?.data?.error ?? "try again."}`;
}
