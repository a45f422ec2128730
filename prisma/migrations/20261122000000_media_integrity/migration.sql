-- Media integrity: parts record when all their media is listed, sessions when their
-- playlists are closed, channels the last problem that kept a stream from playing.
ALTER TABLE "channels" ADD COLUMN "stream_problem" TEXT;
ALTER TABLE "channels" ADD COLUMN "stream_problem_at" TIMESTAMPTZ(3);

ALTER TABLE "live_sessions" ADD COLUMN "playlists_closed_at" TIMESTAMPTZ(3);
-- Sessions that ended before this migration had their playlists closed at the end.
UPDATE "live_sessions" SET "playlists_closed_at" = "ended_at" WHERE "status" = 'ended';

ALTER TABLE "live_parts" ADD COLUMN "audio_sample_rate" INTEGER;
ALTER TABLE "live_parts" ADD COLUMN "audio_channels" INTEGER;
ALTER TABLE "live_parts" ADD COLUMN "transcode_done_at" TIMESTAMPTZ(3);
ALTER TABLE "live_parts" ADD COLUMN "transcode_error" TEXT;
UPDATE "live_parts" SET "transcode_done_at" = "ended_at" WHERE "ended_at" IS NOT NULL;
