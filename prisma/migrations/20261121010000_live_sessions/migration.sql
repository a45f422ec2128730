-- Live sessions and their parts (one part per publisher connection).

CREATE TYPE "live_status" AS ENUM ('live', 'reconnecting', 'ended');

CREATE TABLE "live_sessions" (
    "id" UUID NOT NULL,
    "channel_id" UUID NOT NULL,
    "status" "live_status" NOT NULL DEFAULT 'live',
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "ended_at" TIMESTAMPTZ(3),
    "end_reason" TEXT,
    "ladder" TEXT NOT NULL,
    "segment_seconds" INTEGER NOT NULL,
    CONSTRAINT "live_sessions_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "live_sessions_channel_id_started_at_idx" ON "live_sessions"("channel_id", "started_at");
-- A channel has at most one session that has not ended. (Not expressible in schema.prisma.)
CREATE UNIQUE INDEX "live_sessions_one_open_per_channel" ON "live_sessions"("channel_id") WHERE "status" <> 'ended';

CREATE TABLE "live_parts" (
    "id" UUID NOT NULL,
    "session_id" UUID NOT NULL,
    "index" INTEGER NOT NULL,
    "stream_key_id" UUID,
    "started_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "ended_at" TIMESTAMPTZ(3),
    "timeline_offset_ms" INTEGER NOT NULL DEFAULT 0,
    "transcode_epoch" INTEGER NOT NULL DEFAULT 0,
    "video_codec" TEXT,
    "audio_codec" TEXT,
    "width" INTEGER,
    "height" INTEGER,
    "fps" DOUBLE PRECISION,
    CONSTRAINT "live_parts_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "live_parts_session_id_index_key" ON "live_parts"("session_id", "index");

ALTER TABLE "live_sessions" ADD CONSTRAINT "live_sessions_channel_id_fkey" FOREIGN KEY ("channel_id") REFERENCES "channels"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "live_parts" ADD CONSTRAINT "live_parts_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "live_sessions"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "live_parts" ADD CONSTRAINT "live_parts_stream_key_id_fkey" FOREIGN KEY ("stream_key_id") REFERENCES "stream_keys"("id") ON DELETE SET NULL ON UPDATE CASCADE;
