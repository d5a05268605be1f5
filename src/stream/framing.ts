import { createEventStreamDecoder } from './eventstream-decoder.js';
import type { Frame, FrameDecoder, Framing } from './frame.js';
import { createNdjsonDecoder } from './ndjson-decoder.js';
import { createRawDecoder } from './raw-decoder.js';
import { createSseDecoder } from './sse-decoder.js';

const NDJSON_TYPES = new Set(['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/x-jsonlines']);

/**
 * Pick the framing from a `content-type` header value. Parameters and case are ignored.
 *
 * @example
 * detectFraming('text/event-stream; charset=utf-8'); // 'sse'
 * detectFraming('application/x-ndjson');             // 'ndjson'
 * detectFraming('application/vnd.amazon.eventstream'); // 'eventstream'
 * detectFraming('application/json');                 // 'raw'
 */
export function detectFraming(contentType: string | undefined): Framing {
  if (!contentType) return 'raw';
  const mediaType = contentType.split(';', 1)[0]!.trim().toLowerCase();
  if (mediaType === 'text/event-stream') return 'sse';
  if (NDJSON_TYPES.has(mediaType)) return 'ndjson';
  // AWS binary event stream (Bedrock ConverseStream, InvokeModelWithResponseStream).
  if (mediaType === 'application/vnd.amazon.eventstream') return 'eventstream';
  return 'raw';
}

/**
 * A fresh incremental decoder for `framing`.
 *
 * @example
 * const d = createDecoder(detectFraming(res.headers['content-type']));
 */
export function createDecoder(framing: Framing): FrameDecoder {
  switch (framing) {
    case 'sse':
      return createSseDecoder();
    case 'ndjson':
      return createNdjsonDecoder();
    case 'eventstream':
      return createEventStreamDecoder();
    case 'raw':
      return createRawDecoder();
  }
}

/**
 * Decode a whole body in one go, including the partial frame an unterminated end gives.
 *
 * @example
 * splitFrames('ndjson', new TextEncoder().encode('1\n2')); // [{ data: '1', ... }, { data: '2', partial: true, ... }]
 */
export function splitFrames(framing: Framing, body: Uint8Array): Frame[] {
  const decoder = createDecoder(framing);
  const frames = decoder.push(body);
  // end() also releases a block held on the body's last CR (see sse-decoder.ts).
  for (const f of decoder.end()) frames.push(f);
  return frames;
}
