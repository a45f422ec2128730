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

/** From an FLV AAC sequence-header tag body: the RFC 6381 codec ("mp4a.40.2"). */
export function aacCodecFromFlvSequenceHeader(tag: Buffer): string | null {
  return aacConfigFromFlvSequenceHeader(tag)?.codec ?? null;
}

export interface AacConfig {
  /** "mp4a.40.2" for AAC-LC, "mp4a.40.5" for HE-AAC (SBR), "mp4a.40.29" for HE-AAC v2 (PS). */
  codec: string;
  /** Output sample rate (for HE-AAC, the SBR rate, twice the core's). */
  sampleRate: number | null;
  /** null when the channels are only given in a program config element. */
  channels: number | null;
}

const AAC_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];
const AAC_CHANNELS = [null, 1, 2, 3, 4, 5, 6, 8];
const SBR = 5;
const PS = 29;
const LC = 2;

class Bits {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}
  get left(): number {
    return this.buf.length * 8 - this.pos;
  }
  read(n: number): number {
    if (n > this.left) throw new RangeError("short AudioSpecificConfig");
    let v = 0;
    for (let i = 0; i < n; i++, this.pos++) v = v * 2 + ((this.buf[this.pos >> 3] >> (7 - (this.pos & 7))) & 1);
    return v;
  }
  peek(n: number): number {
    const at = this.pos;
    const v = this.read(n);
    this.pos = at;
    return v;
  }
}

const objectType = (b: Bits) => {
  const t = b.read(5);
  return t === 31 ? 32 + b.read(6) : t;
};
const sampleRate = (b: Bits) => {
  const i = b.read(4);
  return i === 0xf ? b.read(24) : (AAC_RATES[i] ?? null);
};

/**
 * From an FLV AAC sequence-header tag body (sound format 10, AACPacketType 0): the
 * AudioSpecificConfig (ISO 14496-3 1.6.2.1) — object type, sampling frequency and
 * channel configuration — so the transcoder knows whether the audio can be copied.
 * HE-AAC is recognised whether signalled explicitly (object type 5/29) or, for
 * AAC-LC, by the backward-compatible sync extension after the GASpecificConfig.
 */
export function aacConfigFromFlvSequenceHeader(tagBody: Buffer): AacConfig | null {
  if (tagBody.length < 4 || tagBody[0] >> 4 !== 10 || tagBody[1] !== 0) return null;
  const b = new Bits(tagBody.subarray(2));
  try {
    let type = objectType(b);
    if (type === 0) return null;
    let rate = sampleRate(b);
    const channelConfig = b.read(4);
    let channels = AAC_CHANNELS[channelConfig] ?? null;
    let codecType = type;
    if (type === SBR || type === PS) {
      rate = sampleRate(b);
      type = objectType(b);
      if (codecType === PS && channels === 1) channels = 2;
    } else if (type === LC && channelConfig !== 0 && b.read(3) === 0 && b.left >= 16 && b.peek(11) === 0x2b7) {
      // frameLengthFlag, dependsOnCoreCoder and extensionFlag were 0: what follows is
      // the sync extension, which says whether SBR (and PS) ride along.
      b.read(11);
      if (objectType(b) === SBR && b.read(1) === 1) {
        codecType = SBR;
        rate = b.left >= 4 ? sampleRate(b) : rate && rate * 2;
        if (b.left >= 12 && b.read(11) === 0x548 && b.read(1) === 1) {
          codecType = PS;
          if (channels === 1) channels = 2;
        }
      }
    }
    return { codec: `mp4a.40.${codecType}`, sampleRate: rate, channels };
  } catch (err) {
    if (err instanceof RangeError) return null;
    throw err;
  }
}
