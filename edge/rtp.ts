// Pure RTP / H.264-over-RTP helpers for the WebRTC edge. No I/O, no state:
// the fanout decides what to do, these only read and patch bytes.

export interface RtpHeader {
  marker: boolean;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  /** Offset of the payload (after CSRCs and header extension). */
  payloadOffset: number;
  /** Payload length, padding excluded. */
  payloadLength: number;
}

export const RTP_MIN_HEADER = 12;

/** RFC 5761 demux: second byte 192..223 is RTCP (SR 200, RR 201, SDES 202, BYE 203, APP 204, RTPFB 205, PSFB 206, …). */
export function isRtcp(packet: Uint8Array): boolean {
  return packet.length >= 2 && (packet[0] >> 6) === 2 && packet[1] >= 192 && packet[1] <= 223;
}

/** Parses an RTP v2 header; null for anything that is not a well-formed RTP packet (including RTCP). */
export function parseRtpHeader(packet: Uint8Array): RtpHeader | null {
  if (packet.length < RTP_MIN_HEADER || (packet[0] >> 6) !== 2 || isRtcp(packet)) return null;
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const csrcCount = packet[0] & 0x0f;
  let offset = RTP_MIN_HEADER + 4 * csrcCount;
  if (packet[0] & 0x10) {
    if (packet.length < offset + 4) return null;
    offset += 4 + 4 * view.getUint16(offset + 2);
  }
  let end = packet.length;
  if (packet[0] & 0x20) {
    const pad = packet[packet.length - 1];
    if (pad === 0) return null;
    end -= pad;
  }
  if (end < offset) return null;
  return {
    marker: (packet[1] & 0x80) !== 0,
    payloadType: packet[1] & 0x7f,
    sequenceNumber: view.getUint16(2),
    timestamp: view.getUint32(4),
    ssrc: view.getUint32(8),
    payloadOffset: offset,
    payloadLength: end - offset,
  };
}

export interface RtpRewrite {
  sequenceNumber?: number;
  timestamp?: number;
  ssrc?: number;
  payloadType?: number;
}

/** Patches header fields in place; the caller owns the buffer (copy first if it is shared). */
export function rewriteRtpHeader(packet: Uint8Array, fields: RtpRewrite): void {
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  if (fields.payloadType !== undefined) packet[1] = (packet[1] & 0x80) | (fields.payloadType & 0x7f);
  if (fields.sequenceNumber !== undefined) view.setUint16(2, fields.sequenceNumber & 0xffff);
  if (fields.timestamp !== undefined) view.setUint32(4, fields.timestamp >>> 0);
  if (fields.ssrc !== undefined) view.setUint32(8, fields.ssrc >>> 0);
}

/** Signed distance a→b on the 16-bit sequence circle (positive: b is newer). */
export function seqDelta(a: number, b: number): number {
  return ((((b - a) & 0xffff) + 0x8000) & 0xffff) - 0x8000;
}

/** Signed distance a→b on the 32-bit timestamp circle. */
export function tsDelta(a: number, b: number): number {
  return ((b - a) | 0);
}

export const NAL_IDR = 5;
export const NAL_SPS = 7;
export const NAL_PPS = 8;
export const NAL_STAP_A = 24;
export const NAL_FU_A = 28;

/**
 * The NAL unit types that START in this H.264 payload (RFC 6184, packetization-mode=1):
 * single NAL → its type; STAP-A → every aggregated unit; FU-A → the fragmented type, but
 * only on the fragment with the start bit (continuations start nothing).
 */
export function h264StartedNalTypes(payload: Uint8Array): number[] {
  if (payload.length < 1) return [];
  const type = payload[0] & 0x1f;
  if (type >= 1 && type <= 23) return [type];
  if (type === NAL_STAP_A) {
    const types: number[] = [];
    let p = 1;
    while (p + 2 < payload.length) {
      const size = (payload[p] << 8) | payload[p + 1];
      if (size === 0 || p + 2 + size > payload.length) break;
      types.push(payload[p + 2] & 0x1f);
      p += 2 + size;
    }
    return types;
  }
  if (type === NAL_FU_A) {
    if (payload.length < 2 || (payload[1] & 0x80) === 0) return [];
    return [payload[1] & 0x1f];
  }
  return [];
}

/**
 * Whether a viewer may start decoding at this RTP packet: it carries the start of an IDR
 * slice, or an SPS (encoders put SPS/PPS right before the IDR of the same access unit, and
 * the decoder needs them first, so starting at the SPS is what keeps the stream decodable).
 */
export function h264StartsKeyframe(packet: Uint8Array): boolean {
  const h = parseRtpHeader(packet);
  if (!h) return false;
  const types = h264StartedNalTypes(packet.subarray(h.payloadOffset, h.payloadOffset + h.payloadLength));
  return types.includes(NAL_SPS) || types.includes(NAL_IDR);
}
