/**
 * A frame is one protocol event as it went over the wire: an SSE event block, an NDJSON line,
 * or (for any other body) one raw read. `raw` holds its exact bytes so that concatenating the
 * frames of a body gives the body back byte for byte.
 */
export type Framing = 'sse' | 'ndjson' | 'raw';

export interface Frame {
  /** The exact bytes of this frame, terminator included. */
  raw: Uint8Array;
  /** True when the body ended before this frame's terminator arrived. */
  partial?: boolean;
  /** SSE: the `event` field, if the block had one. */
  event?: string;
  /** SSE: the data buffer (data lines joined by \n); undefined when the block dispatches nothing. NDJSON: the line without its terminator. */
  data?: string;
  /** SSE: the `id` field, if present. */
  id?: string;
  /** SSE: the `retry` field, if it was a valid integer. */
  retry?: number;
  /** SSE: comment lines (without the leading colon) in this block. */
  comments?: string[];
}

/** Incremental decoder: feed reads as they arrive, get back every frame they complete. */
export interface FrameDecoder {
  readonly framing: Framing;
  push(bytes: Uint8Array): Frame[];
  /** Flush at end of body: returns the unterminated remainder as a `partial` frame, if any. */
  end(): Frame[];
}
