/**
 * What a generated test asserts, read from a recorded trace: the answer, the tool calls, the finish
 * reason, how many chunks a reader sees and the recorded timing. Pure.
 */
import { planPlayback } from '../replay/plan.js';
import { summarize } from '../trace/reconstruct.js';
import { sdkYields as sdkYieldsOf } from '../trace/providers/registry.js';
import type { Trace, TraceChunk } from '../trace/types.js';

export interface Expectations {
  text: string;
  /** Names and parsed arguments, in call order. */
  toolCalls: Array<{ name: string; arguments: unknown }>;
  finishReason: string | null;
  /** Recorded chunks that carry data: SSE events with a `data` field, NDJSON lines. What a raw reader sees. */
  chunkCount: number;
  /** Of those, the ones the provider's official SDK hands to the app (no `[DONE]`, no `ping`). */
  sdkChunkCount: number;
  /** Request -> first body byte, as recorded. */
  ttfbMs: number;
  /** Request -> end of response, as recorded. */
  durationMs: number;
  /**
   * When a replay on the virtual clock hands the app each thing, in ms after the request (exact: the
   * replay's own offsets, first_chunk_latency_ms + the delta_ms before it, rounded to 0.001 ms): the
   * first chunk the provider's SDK yields, the first bytes of the body (what a raw reader sees first),
   * and the last chunk, after which the stream ends.
   */
  replayedFirstChunkMs: number;
  replayedFirstBytesMs: number;
  replayedLastChunkMs: number;
}

const hasData = (c: TraceChunk) => c.data !== undefined;

/** Which recorded chunks the provider's SDK yields, mirroring its stream reader (see each protocol module's sdkYields). */
function sdkYields(trace: Pick<Trace, 'chunks' | 'metadata'>): boolean[] {
  return sdkYieldsOf(trace.metadata.provider, trace.chunks ?? []);
}

/** How many chunks the provider's SDK hands to the app (see sdkYields). */
export function sdkChunkCount(trace: Pick<Trace, 'chunks' | 'metadata'>): number {
  return sdkYields(trace).filter(Boolean).length;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/**
 * The replay's own schedule (replay/plan.ts): each piece at first_chunk_latency_ms plus the delta_ms
 * before it. A compressed stream is replayed as its reads (http.body); its events are timed from their
 * own deltas the same way.
 */
function replayedTimes(trace: Trace): Pick<Expectations, 'replayedFirstChunkMs' | 'replayedFirstBytesMs' | 'replayedLastChunkMs'> {
  const plan = planPlayback(trace);
  const pieces = plan.pieces;
  const end = pieces.at(-1)?.at ?? plan.headersAt;
  const firstBytes = pieces.find((p) => p.bytes.length > 0)?.at ?? end;
  const chunks = trace.chunks ?? [];
  let chunkAt: number[];
  if (!trace.http.body) chunkAt = pieces.map((p) => p.at);
  else {
    let at = trace.first_chunk_latency_ms ?? trace.http.first_byte_ms ?? trace.http.headers_ms;
    chunkAt = chunks.map((c, i) => (i > 0 ? (at += c.delta_ms) : at));
  }
  const first = sdkYields(trace).findIndex(Boolean);
  return {
    replayedFirstChunkMs: round3(first >= 0 && chunkAt[first] !== undefined ? chunkAt[first]! : firstBytes),
    replayedFirstBytesMs: round3(firstBytes),
    replayedLastChunkMs: round3(end),
  };
}

const round1 = (n: number) => Math.round(n * 10) / 10;

export function expectationsFor(trace: Trace): Expectations {
  const summary = summarize(trace.metadata.provider, trace.response);
  return {
    text: summary.text,
    toolCalls: summary.tool_calls.map((c) => ({ name: c.name, arguments: c.arguments })),
    finishReason: summary.finish_reason,
    chunkCount: (trace.chunks ?? []).filter(hasData).length,
    sdkChunkCount: sdkChunkCount(trace),
    ttfbMs: round1(trace.first_chunk_latency_ms ?? trace.http.first_byte_ms ?? 0),
    durationMs: round1(trace.metadata.duration_ms),
    ...replayedTimes(trace),
  };
}
