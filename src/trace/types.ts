import type { Framing } from '../stream/frame.js';
import type { McpMarker } from '../mcp/marker.js';
import type { WsSession } from '../ws/tape.js';

/** Bumped on any incompatible change to the on-disk shape; readers reject versions they do not know. */
export const TRACE_SCHEMA_VERSION = 1;

export type Provider = 'openai' | 'openai-responses' | 'anthropic' | 'gemini' | 'ollama' | 'bedrock' | 'cohere' | 'unknown';

/** How the exchange ended, as seen by the recorder. */
export type Outcome =
  | 'complete'
  /** The upstream closed or reset the connection before the body was complete. */
  | 'upstream_aborted'
  /** The app went away mid-response; the upstream request was aborted too. */
  | 'client_aborted'
  /** The upstream could not be reached at all; the app got a 502. */
  | 'upstream_unreachable'
  /** The recorder answered the call itself and forwarded nothing: a 508 (it would have forwarded to itself) or a 403 (a host not allowed). */
  | 'recorder_refused'
  /** The recorder was stopped (a second Ctrl-C, or its shutdown grace ran out) while the call was in flight. */
  | 'recorder_shutdown';

/**
 * One protocol event of a streamed body (an SSE event or an NDJSON line), with its timing.
 * `data` is the parsed JSON when the payload parses, otherwise the string.
 */
export interface TraceChunk {
  /** Milliseconds since the previous chunk (the first chunk has 0). Sub-ms precision kept. */
  delta_ms: number;
  event?: string;
  id?: string;
  retry?: number;
  comments?: string[];
  data?: unknown;
  /** The exact bytes of the frame: UTF-8 text, or base64 when `raw_encoding` says so. */
  raw: string;
  raw_encoding?: 'base64';
  /** The body ended before this frame's terminator. */
  partial?: boolean;
}

/** One raw read of a non-streamed body, kept so replay can reproduce its pacing. */
export interface BodyRead {
  delta_ms: number;
  raw: string;
  raw_encoding?: 'base64';
}

/** Everything a replay needs that the seed-compatible fields above do not carry. */
export interface HttpExchange {
  method: string;
  /** Path and query as the app sent them, e.g. `/v1/chat/completions?api-version=1`. */
  url: string;
  /** Lower-cased request headers with secrets redacted. */
  request_headers: Record<string, string>;
  /** Set when the request body is not JSON (the trace's `request` is then null). */
  request_body_raw?: string;
  request_body_encoding?: 'base64';
  status: number;
  status_message: string;
  /** Response headers in wire order, names as sent, secrets redacted. */
  response_headers: Array<[string, string]>;
  framing: Framing;
  /** Request leaving for upstream -> response headers arriving. */
  headers_ms: number;
  /** Request leaving for upstream -> first body byte (TTFB). Absent when the body was empty. */
  first_byte_ms?: number;
  /** Non-streamed body as the raw reads it arrived in. Streamed bodies live in `chunks`. */
  body?: BodyRead[];
  outcome: Outcome;
  /** Human-readable reason when outcome is not `complete`. */
  error?: string;
  /**
   * Not recorded by this TraceForge: the framing (SSE or NDJSON bytes), headers and status were synthesised
   * from parsed chunks, as for a trace of the first TraceForge (schema "1.0.0"), which kept no raw bytes.
   */
  synthesized?: boolean;
}

export interface TraceMetadata {
  /** Request start -> end of response. */
  duration_ms: number;
  status: 'success' | 'error';
  model: string | null;
  provider: Provider;
  stream: boolean;
  /** Where the call was forwarded, without credentials. */
  upstream?: string;
  /** Set on a call of an MCP session (streamable HTTP): which session, and what it asked (see docs/mcp.md). */
  mcp?: McpMarker;
  /** A WebSocket session: how many frames each side sent (kept here, small, so a listing need not read the frames). */
  websocket?: { client_frames: number; server_frames: number };
}

/**
 * One recorded call. The same object is a trace file (`.ai-tests/traces/<ts>_<id>.json`)
 * and one entry of a cassette; `trace/codec.ts` reads and writes both.
 */
export interface Trace {
  schema_version: number;
  id: string;
  /** ISO-8601 time the request arrived. */
  timestamp: string;
  /** Path without query, e.g. `/v1/chat/completions`. */
  endpoint: string;
  /** The request's JSON body (redacted), or null when it was empty or not JSON. */
  request: unknown;
  /** The complete response: for streams, reconstructed from the chunks in the provider's non-stream shape. */
  response: unknown;
  metadata: TraceMetadata;
  /** Streams only. */
  chunks?: TraceChunk[];
  total_chunks?: number;
  /** First chunk -> last chunk. */
  stream_duration_ms?: number;
  /** Request leaving for upstream -> first body byte (TTFB). */
  first_chunk_latency_ms?: number;
  /** Request leaving for upstream -> first chunk that carries content (not lifecycle events like `ping`). */
  first_content_latency_ms?: number;
  http: HttpExchange;
  /** How far the recorder's stamps can be trusted (absent in traces from before it was measured). */
  timing?: TraceTiming;
  /** Set when this trace comes from the first TraceForge's format (see trace/legacy.ts). */
  legacy?: LegacyOrigin;
  /** A WebSocket session: `http` is its handshake, this its frames both ways and its close (see ws/tape.ts). */
  websocket?: WsSession;
}

/** Where a trace converted from the first TraceForge's format came from. */
export interface LegacyOrigin {
  /** The file's own `schema_version`, e.g. "1.0.0". */
  schema_version: string;
  /** Its top-level fields with no place in this schema, kept as they were. */
  fields?: Record<string, unknown>;
}

/**
 * A chunk's time is taken when the recorder's event loop gets to its read, so a loop that was busy
 * for N ms may have stamped a chunk up to N ms late. The recorder measures its own loop while each
 * call is in flight and writes down the worst delay it saw.
 */
export interface TraceTiming {
  /** The longest the stamping thread's event loop was held up while this call was in flight, in ms. */
  max_loop_delay_ms: number;
}

/** Above this loop delay a trace's per-chunk timing may be off by more than replay's own error. */
export const LOOP_DELAY_WARN_MS = 10;
