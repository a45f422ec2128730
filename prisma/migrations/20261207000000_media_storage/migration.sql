-- Roles on several hosts: each live part records the ingest that spools it, so a
-- worker anywhere reads the part from the ingest that holds it.
ALTER TABLE "live_parts" ADD COLUMN "ingest_url" TEXT;
-- Replay retention per channel (NULL: the instance default, 0: keep forever), and
-- each replay's size in the media store, for the budget and the dashboard.
ALTER TABLE "channels" ADD COLUMN "replay_retention_days" INTEGER;
ALTER TABLE "replays" ADD COLUMN "storage_bytes" BIGINT;
CREATE INDEX "replays_created_at_idx" ON "replays"("created_at");
