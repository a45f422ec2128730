-- An instance admin can disable an account: it cannot log in or stream until enabled again.
ALTER TABLE "users" ADD COLUMN "disabled_at" TIMESTAMPTZ(3);
