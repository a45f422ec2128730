// FLV tags for the spool. RTMP audio/video/data message bodies are FLV tag
// bodies, so a spool is the publisher's messages framed as FLV tags: any tool
// reads it, and ffmpeg reads it over HTTP as a live FLV stream.
import { createRequire } from "node:module";
import type { NmsPacket } from "./nms.ts";

const require = createRequire(import.meta.url);
const Flv = require("node-media-server/src/protocol/flv.js") as {
  createHeader(hasAudio: boolean, hasVideo: boolean): Buffer;
  createMessage(packet: NmsPacket): Buffer;
};

export const TAG_AUDIO = 8;
export const TAG_VIDEO = 9;
export const TAG_SCRIPT = 18;
const TAG_HEADER_BYTES = 11;
const PREVIOUS_SIZE_BYTES = 4;

export function flvFileHeader(hasAudio: boolean, hasVideo: boolean): Buffer {
  return Flv.createHeader(hasAudio, hasVideo);
}

/** The packet as one FLV tag (header, body, previous-tag-size). Copies the body: NMS reuses its buffer. */
export function flvTag(packet: NmsPacket): Buffer {
  if (packet.codec_type === TAG_SCRIPT) return Flv.createMessage({ ...packet, ...withoutSetDataFrame(packet.data.subarray(0, packet.size)) });
  return Flv.createMessage(packet);
}

// RTMP publishers send metadata as `@setDataFrame "onMetaData" {…}`; in a file it is `"onMetaData" {…}`.
const SET_DATA_FRAME = Buffer.from([0x02, 0x00, 0x0d, ...Buffer.from("@setDataFrame")]);
function withoutSetDataFrame(body: Buffer): { data: Buffer; size: number } {
  const data = body.subarray(0, SET_DATA_FRAME.length).equals(SET_DATA_FRAME) ? body.subarray(SET_DATA_FRAME.length) : body;
  return { data, size: data.length };
}

export function tagTimestamp(tag: Buffer): number {
  return ((tag[7] << 24) | (tag[4] << 16) | (tag[5] << 8) | tag[6]) >>> 0;
}

/** A copy of the tag with another timestamp (codec headers sent ahead of a later keyframe). */
export function retimedTag(tag: Buffer, dts: number): Buffer {
  const out = Buffer.from(tag);
  out[4] = (dts >>> 16) & 0xff;
  out[5] = (dts >>> 8) & 0xff;
  out[6] = dts & 0xff;
  out[7] = (dts >>> 24) & 0xff;
  return out;
}

export interface ScannedTag {
  type: number;
  dts: number;
  /** Byte offset of the tag in the scanned buffer. */
  offset: number;
  /** Whole tag length including the previous-tag-size field. */
  length: number;
  keyframe: boolean;
  codecHeader: boolean;
}

/** Walks a run of FLV tags (no file header), stopping at the first incomplete or inconsistent one. */
export function scanTags(buf: Buffer): ScannedTag[] {
  const out: ScannedTag[] = [];
  let p = 0;
  while (p + TAG_HEADER_BYTES <= buf.length) {
    const type = buf[p] & 0x1f;
    const size = buf.readUIntBE(p + 1, 3);
    const length = TAG_HEADER_BYTES + size + PREVIOUS_SIZE_BYTES;
    if (p + length > buf.length) break;
    if (buf.readUInt32BE(p + TAG_HEADER_BYTES + size) !== TAG_HEADER_BYTES + size) break;
    const body = buf.subarray(p + TAG_HEADER_BYTES, p + TAG_HEADER_BYTES + size);
    out.push({ type, dts: tagTimestamp(buf.subarray(p)), offset: p, length, ...classify(type, body) });
    p += length;
  }
  return out;
}

function classify(type: number, body: Buffer): { keyframe: boolean; codecHeader: boolean } {
  if (type === TAG_VIDEO && body.length >= 2) {
    const enhanced = (body[0] & 0x80) !== 0;
    const frameType = (body[0] >> 4) & 0x07;
    const header = enhanced ? (body[0] & 0x0f) === 0 : (body[0] & 0x0f) === 7 && body[1] === 0;
    return { keyframe: frameType === 1 && !header, codecHeader: header };
  }
  if (type === TAG_AUDIO && body.length >= 2) return { keyframe: false, codecHeader: body[0] >> 4 === 10 && body[1] === 0 };
  return { keyframe: false, codecHeader: type === TAG_SCRIPT };
}
