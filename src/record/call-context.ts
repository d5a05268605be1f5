import { AsyncLocalStorage } from 'node:async_hooks';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Frame, FrameDecoder } from '../stream/frame.js';
import type { CapturedCall } from '../trace/build.js';
import type { Redaction } from '../trace/redact.js';
import type { PieceRedactor } from '../trace/redact-pieces.js';
import type { Spill } from './spill.js';

/**
 * Per-call state shared between the request wrapper, mockttp's forwarding and the timing tap.
 * mockttp handles each request inside the async context the wrapper opens, so the upstream
 * ClientRequest created for it can find its call through AsyncLocalStorage without any marker
 * header being sent upstream.
 */
/** What the recorder knows of a call from the start, in the shape the trace builder takes it. */
type CallBasics = Pick<CapturedCall, 'id' | 'timestamp' | 'method' | 'url' | 'requestHeaders' | 'requestBody' | 'upstream' | 'response' | 'frames' | 'prepared' | 'firstByteMs' | 'redact'>;

export interface LiveCall extends CallBasics {
  /** performance.now() when the request arrived at the recorder. */
  arrivedAt: number;
  /** performance.now() when the request left for upstream. */
  t0?: number;
  upstreamRequest?: ClientRequest;
  upstreamResponse?: IncomingMessage;
  upstreamError?: Error;
  /** Answers the app when the upstream cannot be reached (set by the recorder, fired by the tap). */
  onUpstreamError?: (error: Error) => void;
  /** The body we sent the app ourselves (the 502 for an unreachable upstream). */
  syntheticBody?: Uint8Array;
  decoder?: FrameDecoder;
  /** The request's redaction (rules and secret values), collected once when the response starts. */
  secrets?: Redaction;
  /** Raw (not SSE/NDJSON) bodies: reads wait here until enough follows them to see a cut secret whole. */
  rawRedactor?: PieceRedactor<Frame>;
  /** Body bytes held in `frames` so far. */
  memoryBytes?: number;
  /** Set once the body outgrew memory: frames then go to this file instead of `frames`. */
  spill?: Spill;
  upstreamEnded: boolean;
  upstreamAborted: boolean;
  clientAborted: boolean;
  finished: boolean;
}

export const callStorage = new AsyncLocalStorage<LiveCall>();
