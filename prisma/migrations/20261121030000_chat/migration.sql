-- Chat: each channel's Matrix room, its moderation state, and the appservice's
-- record of homeserver transactions (so a retried transaction is handled once,
-- also after an appservice restart).

ALTER TABLE "channels" ADD COLUMN "matrix_room_id" TEXT;
ALTER TABLE "channels" ADD COLUMN "chat_slow_mode_seconds" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "channels" ADD COLUMN "chat_word_filter" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[];
ALTER TABLE "channels" ADD COLUMN "chat_message_count" INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX "channels_matrix_room_id_key" ON "channels"("matrix_room_id");

CREATE TABLE "chat_moderators" (
    "channel_id" UUID NOT NULL,
    "matrix_user_id" TEXT NOT NULL,
    "granted_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "chat_moderators_pkey" PRIMARY KEY ("channel_id", "matrix_user_id")
);
ALTER TABLE "chat_moderators" ADD CONSTRAINT "chat_moderators_channel_id_fkey" FOREIGN KEY ("channel_id") REFERENCES "channels"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "chat_bans" (
    "channel_id" UUID NOT NULL,
    "matrix_user_id" TEXT NOT NULL,
    "reason" TEXT NOT NULL DEFAULT '',
    "until" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "chat_bans_pkey" PRIMARY KEY ("channel_id", "matrix_user_id")
);
ALTER TABLE "chat_bans" ADD CONSTRAINT "chat_bans_channel_id_fkey" FOREIGN KEY ("channel_id") REFERENCES "channels"("id") ON DELETE CASCADE ON UPDATE CASCADE;
-- The appservice lifts expired timeouts by scanning this index.
CREATE INDEX "chat_bans_until_idx" ON "chat_bans"("until");

CREATE TABLE "matrix_transactions" (
    "txn_id" TEXT NOT NULL,
    "event_count" INTEGER NOT NULL,
    "processed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "matrix_transactions_pkey" PRIMARY KEY ("txn_id")
);
