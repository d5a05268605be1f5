/** Incremental, raw-preserving codecs for streamed bodies (SSE, NDJSON, AWS event stream, raw reads). Pure: no I/O. */
export type { Frame, FrameDecoder, Framing } from './frame.js';
export { FRAMINGS } from './frame.js';
export { createEventStreamDecoder } from './eventstream-decoder.js';
export { createSseDecoder } from './sse-decoder.js';
export { createNdjsonDecoder } from './ndjson-decoder.js';
export { createRawDecoder } from './raw-decoder.js';
export { encodeSseEvent, encodeNdjsonLine, type SseEventInit, type SseLineEnding } from './sse-encoder.js';
export { detectFraming, createDecoder, splitFrames } from './framing.js';
export { bytesToStored, storedToBytes, concatBytes, type StoredBytes } from './bytes.js';
