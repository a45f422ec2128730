-- A channel can switch low-latency WebRTC playback off (HLS stays).
ALTER TABLE "channels" ADD COLUMN "webrtc_enabled" BOOLEAN NOT NULL DEFAULT true;
