/**
 * A frame is one protocol event as it went over the wire: an SSE event block, an NDJSON line,
 * or (for any other body) one raw read. `raw` holds its exact bytes so that concatenating the
 * frames of a body gives the body back byte for byte.
 */
export type Framing = 'sse' | 'ndjson' | 'eventstream' | 'raw';

/** Every framing, for readers that check a stored value. */
export const FRAMINGS: readonly Framing[] = ['sse', 'ndjson', 'eventstream', 'raw'];

export interface Frame {
  /** The exact bytes of this frame, terminator included. */
  raw: Uint8Array;
  /** True when the body ended before this frame's terminator arrived. */
  partial?: boolean;
  /** SSE: the `event` field, if the block had one. */
  event?: string;
  /** SSE: the data buffer (data lines joined by \n); undefined when the block had no data line, so dispatches nothing (one empty `data:` line gives ""). NDJSON: the line without its terminator. */
  data?: string;
  /** SSE: the `id` field, if present. */
  id?: string;
  /** SSE: the `retry` field, if it was a valid integer. */
  retry?: number;
  /** SSE: comment lines (without the leading colon) in this block. */
  comments?: string[];
  /**
   * The `at` of the read that delivered this frame's last byte, when the caller passed one to
   * `push`/`end`. It differs from the current read's `at` when a frame is only known to be complete
   * one read later (an SSE block ending in a CR that turned out not to be followed by an LF).
   */
  at?: number;
  /** Binary framing (eventstream): store `raw` as base64 even when it happens to be valid UTF-8. */
  binary?: boolean;
}

/**
 * Incremental decoder: feed reads as they arrive, get back every frame known to be complete.
 *
 * Pass each read's arrival time as `at` and every returned frame carries the `at` of the read that
 * held its last byte: a frame's time is the arrival of its last byte, even when the decoder could
 * only tell that it had ended from a later read (see sse-decoder.ts). Without `at`, frames carry none.
 */
export interface FrameDecoder {
  readonly framing: Framing;
  push(bytes: Uint8Array, at?: number): Frame[];
  /**
   * Flush at end of body: frames held back waiting for a next byte (with their own `at`), then the
   * unterminated remainder as a `partial` frame stamped with this `at`, if any.
   */
  end(at?: number): Frame[];
}
