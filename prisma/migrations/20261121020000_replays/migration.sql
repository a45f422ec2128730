-- One replay per ended live session, and the channel setting that keeps them.

ALTER TABLE "channels" ADD COLUMN "keep_replays" BOOLEAN NOT NULL DEFAULT true;

CREATE TYPE "export_status" AS ENUM ('pending', 'running', 'ready', 'failed');

CREATE TABLE "replays" (
    "id" UUID NOT NULL,
    "session_id" UUID NOT NULL,
    "channel_id" UUID NOT NULL,
    "title" TEXT NOT NULL,
    "duration_seconds" DOUBLE PRECISION NOT NULL,
    "markers" JSONB NOT NULL DEFAULT '[]',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "export_status" "export_status" NOT NULL DEFAULT 'pending',
    "export_progress" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "export_error" TEXT,
    "export_bytes" BIGINT,
    "has_poster" BOOLEAN NOT NULL DEFAULT false,
    "thumbnail_count" INTEGER NOT NULL DEFAULT 0,
    "thumbnail_seconds" INTEGER NOT NULL DEFAULT 10,
    CONSTRAINT "replays_pkey" PRIMARY KEY ("id")
);
-- Exactly one replay per session, however many parts it had.
CREATE UNIQUE INDEX "replays_session_id_key" ON "replays"("session_id");
CREATE INDEX "replays_channel_id_created_at_idx" ON "replays"("channel_id", "created_at");

ALTER TABLE "replays" ADD CONSTRAINT "replays_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "live_sessions"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "replays" ADD CONSTRAINT "replays_channel_id_fkey" FOREIGN KEY ("channel_id") REFERENCES "channels"("id") ON DELETE CASCADE ON UPDATE CASCADE;
