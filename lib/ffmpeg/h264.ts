// H.264 level selection and RFC 6381 codec strings, so the master playlist's
// CODECS attribute says exactly what the encoder was told to produce.

interface Level {
  name: string; // as libx264's -level takes it
  idc: number; // level_idc in the SPS
  maxMbps: number; // macroblocks per second
  maxFs: number; // macroblocks per frame
  maxKbps: number; // Baseline/Main; High allows 1.25×
}

const LEVELS: Level[] = [
  { name: "3.0", idc: 30, maxMbps: 40500, maxFs: 1620, maxKbps: 10000 },
  { name: "3.1", idc: 31, maxMbps: 108000, maxFs: 3600, maxKbps: 14000 },
  { name: "3.2", idc: 32, maxMbps: 216000, maxFs: 5120, maxKbps: 20000 },
  { name: "4.0", idc: 40, maxMbps: 245760, maxFs: 8192, maxKbps: 20000 },
  { name: "4.1", idc: 41, maxMbps: 245760, maxFs: 8192, maxKbps: 50000 },
  { name: "4.2", idc: 42, maxMbps: 522240, maxFs: 8704, maxKbps: 50000 },
  { name: "5.0", idc: 50, maxMbps: 589824, maxFs: 22080, maxKbps: 135000 },
  { name: "5.1", idc: 51, maxMbps: 983040, maxFs: 36864, maxKbps: 240000 },
  { name: "5.2", idc: 52, maxMbps: 2073600, maxFs: 36864, maxKbps: 240000 },
];

/** Smallest High-profile level that fits the picture size, frame rate and peak bitrate. */
export function highProfileLevel(width: number, height: number, fps: number, peakKbps: number): Level {
  const fs = Math.ceil(width / 16) * Math.ceil(height / 16);
  const mbps = fs * fps;
  const level = LEVELS.find((l) => fs <= l.maxFs && mbps <= l.maxMbps && peakKbps <= l.maxKbps * 1.25);
  return level ?? LEVELS[LEVELS.length - 1];
}

const hex2 = (n: number) => n.toString(16).padStart(2, "0");

/** "avc1.64001f" for High profile (100), no constraint flags, level 3.1. */
export function avcCodecString(profileIdc: number, constraintFlags: number, levelIdc: number): string {
  return `avc1.${hex2(profileIdc)}${hex2(constraintFlags)}${hex2(levelIdc)}`;
}

/** From an FLV AVC sequence-header tag body (AVCDecoderConfigurationRecord starts at byte 5). */
export function avcCodecFromFlvSequenceHeader(tag: Buffer): string | null {
  if (tag.length < 9 || (tag[0] & 0x0f) !== 7 || tag[1] !== 0) return null;
  return avcCodecString(tag[6], tag[7], tag[8]);
}

/** From an FLV AAC sequence-header tag body: the AudioSpecificConfig's object type. */
export function aacCodecFromFlvSequenceHeader(tag: Buffer): string | null {
  if (tag.length < 3 || tag[0] >> 4 !== 10 || tag[1] !== 0) return null;
  const objectType = tag[2] >> 3;
  return objectType > 0 ? `mp4a.40.${objectType}` : null;
}
