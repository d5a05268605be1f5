import type { Frame, FrameDecoder } from './frame.js';

/**
 * Decoder for bodies that are neither SSE nor NDJSON: every read is its own {@link Frame}, so a
 * replay can reproduce the pacing the body arrived with. Empty reads carry nothing and are skipped.
 *
 * @example
 * createRawDecoder().push(new Uint8Array([1, 2])); // -> [{ raw: Uint8Array [1, 2] }]
 */
export function createRawDecoder(): FrameDecoder {
  return {
    framing: 'raw',
    // Copy: callers (Node streams, pooled buffers) may reuse the memory behind a read.
    push: (bytes: Uint8Array, at?: number): Frame[] => (bytes.length === 0 ? [] : [at === undefined ? { raw: bytes.slice() } : { raw: bytes.slice(), at }]),
    end: (): Frame[] => [],
  };
}
