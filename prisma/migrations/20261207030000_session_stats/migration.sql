-- Statistics of each live session for its creator: a viewer-count series, peak,
-- unique viewers, chat messages, ingest bitrate and incidents. Counts only.

CREATE TABLE "session_stats" (
    "session_id" UUID NOT NULL,
    "sample_offsets" INTEGER[] NOT NULL DEFAULT ARRAY[]::INTEGER[],
    "sample_viewers" INTEGER[] NOT NULL DEFAULT ARRAY[]::INTEGER[],
    "peak_viewers" INTEGER NOT NULL DEFAULT 0,
    "peak_at" TIMESTAMPTZ(3),
    "unique_viewers" INTEGER NOT NULL DEFAULT 0,
    "chat_messages" INTEGER NOT NULL DEFAULT 0,
    "bitrate_kbps_sum" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "bitrate_samples" INTEGER NOT NULL DEFAULT 0,
    "incidents" JSONB NOT NULL DEFAULT '[]',
    "closed_at" TIMESTAMPTZ(3),
    "finalized_at" TIMESTAMPTZ(3),
    CONSTRAINT "session_stats_pkey" PRIMARY KEY ("session_id")
);

ALTER TABLE "session_stats" ADD CONSTRAINT "session_stats_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "live_sessions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- The statistics follow the replay: whatever deletes a replay (the owner, a
-- retention sweep, a script) deletes its session's statistics in the same
-- transaction. The session row itself stays (it keeps the media bookkeeping).
CREATE FUNCTION "session_stats_follow_replay"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM "session_stats" WHERE "session_id" = OLD."session_id";
    RETURN OLD;
END;
$$;

CREATE TRIGGER "replays_delete_session_stats" AFTER DELETE ON "replays"
    FOR EACH ROW EXECUTE FUNCTION "session_stats_follow_replay"();

-- Sessions that were already live when this migration ran get a row now; the
-- workers' sampler also adds one for any session without it.
INSERT INTO "session_stats" ("session_id") SELECT "id" FROM "live_sessions" WHERE "status" <> 'ended';
