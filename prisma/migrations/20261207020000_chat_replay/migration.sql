-- Chat replay: the messages viewers saw during a live session, replayed beside
-- the replay at the moment they were sent.

CREATE TABLE "chat_replay_messages" (
    "event_id" TEXT NOT NULL,
    "seq" BIGSERIAL NOT NULL,
    "session_id" UUID NOT NULL,
    "sender" TEXT NOT NULL,
    "display_name" TEXT NOT NULL,
    "ts" TIMESTAMPTZ(3) NOT NULL,
    "msgtype" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "formatted_body" TEXT,
    "edited" BOOLEAN NOT NULL DEFAULT false,
    CONSTRAINT "chat_replay_messages_pkey" PRIMARY KEY ("event_id")
);
CREATE UNIQUE INDEX "chat_replay_messages_seq_key" ON "chat_replay_messages"("seq");
CREATE INDEX "chat_replay_messages_session_id_ts_seq_idx" ON "chat_replay_messages"("session_id", "ts", "seq");
ALTER TABLE "chat_replay_messages" ADD CONSTRAINT "chat_replay_messages_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "live_sessions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Retention follows the replay. Deleting a replay keeps its session row (and so
-- the cascade above does not fire), however the replay is deleted: by its owner,
-- with its channel or account (those cascade through the session anyway), or by
-- any later retention rule. Prisma does not model triggers; this is the one place.
CREATE FUNCTION "chat_replay_follows_replay"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM "chat_replay_messages" WHERE "session_id" = OLD."session_id";
    RETURN OLD;
END;
$$;
CREATE TRIGGER "replays_delete_chat" AFTER DELETE ON "replays" FOR EACH ROW EXECUTE FUNCTION "chat_replay_follows_replay"();
