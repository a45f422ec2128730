-- The replay's renditions (as in its master playlist), so the web app answers the
-- replay's master playlist from the row, without a read of the media store (with
-- media in a bucket, a request's round trip on every replay viewer's first request).
-- Null for replays made before: their master playlist is read from the store.

ALTER TABLE "replays" ADD COLUMN "renditions" JSONB;

-- Appservice transaction ids are forgotten after a week by the workers' sweep
-- (lib/chat/store.ts): at 20 messages a second the table grew by a million rows a day.
CREATE INDEX "matrix_transactions_processed_at_idx" ON "matrix_transactions"("processed_at");
