import { storedToBytes } from '../stream/bytes.js';
import type { Trace } from '../trace/types.js';

/** Headers a proxy must not replay: they describe the old connection, not the response. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'content-length']);

export interface PlannedPiece {
  /** ms after the request was fully received, at speed 1. */
  at: number;
  bytes: Uint8Array;
  /** Extra wall-clock delay from stall faults, in ms; not scaled by the replay speed. */
  extraMs?: number;
  /**
   * Sent only once this settles (an MCP server's request answered by the client, on another request); it and
   * the pieces after it keep their recorded gaps from then on.
   */
  gate?: Promise<void>;
}

export interface Playback {
  status: number;
  statusMessage: string;
  /** Flat raw header list [name, value, name, value, ...] in recorded order. */
  headers: string[];
  headersAt: number;
  pieces: PlannedPiece[];
  /** Close the connection abruptly after the last piece (the upstream or client cut it short). */
  drop: boolean;
  /** Keep the response open after the last piece until this settles or the client goes (an MCP session's GET stream). */
  holdOpen?: Promise<void>;
}

/**
 * Absolute offsets for every piece of a recorded response: `first_chunk_latency + sum(delta_ms)`.
 * Offsets are computed once, from the trace, so replay timing cannot accumulate error.
 */
export function planPlayback(trace: Trace): Playback {
  const http = trace.http;
  // A compressed stream has both: decoded events in `chunks`, the reads as received in `http.body` (see build.ts keepEncodedReads).
  const list = http.body ?? trace.chunks ?? [];
  const firstAt = trace.first_chunk_latency_ms ?? http.first_byte_ms ?? http.headers_ms;
  let at = firstAt;
  const pieces: PlannedPiece[] = list.map((p, i) => {
    if (i > 0) at += p.delta_ms;
    return { at, bytes: storedToBytes(p.raw, p.raw_encoding) };
  });
  const drop = http.outcome === 'upstream_aborted' || http.outcome === 'client_aborted' || http.outcome === 'recorder_shutdown';
  const total = pieces.reduce((n, p) => n + p.bytes.length, 0);
  const headers: string[] = [];
  for (const [name, value] of http.response_headers) {
    const lower = name.toLowerCase();
    if (value === '[REDACTED]') continue;
    if (lower === 'content-length') {
      // Keep a content-length only when it still describes the bytes we are about to send.
      if (!drop && Number(value) === total) headers.push(name, value);
      continue;
    }
    if (HOP_BY_HOP.has(lower)) continue;
    headers.push(name, value);
  }
  return { status: http.status, statusMessage: http.status_message, headers, headersAt: Math.min(http.headers_ms, firstAt), pieces, drop };
}
