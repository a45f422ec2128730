// What the edge answers a signaling message it refuses: {error, code}. OvenPlayer then
// tears WebRTC down and plays its next source (HLS).
// Error codes are HTTP-like so logs read naturally; OvenPlayer only checks that `error` is set.
export const ErrorCode = { BadRequest: 400, NotFound: 404, TooLarge: 413, Unavailable: 503, Internal: 500 } as const;

export class SignalingError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}
