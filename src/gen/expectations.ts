/**
 * What a generated test asserts, read from a recorded trace: the answer, the tool calls, the finish
 * reason, how many chunks a reader sees and the recorded timing. Pure.
 */
import { summarize } from '../trace/reconstruct.js';
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
}

const hasData = (c: TraceChunk) => c.data !== undefined;

/**
 * Count what each SDK yields, mirroring its stream reader: openai stops at `[DONE]`; Anthropic's
 * skips `ping`, unnamed events and empty data. Other providers have no SDK template: every data chunk counts.
 */
export function sdkChunkCount(trace: Pick<Trace, 'chunks' | 'metadata'>): number {
  const chunks = trace.chunks ?? [];
  switch (trace.metadata.provider) {
    case 'openai':
    case 'openai-responses': {
      const done = chunks.findIndex((c) => typeof c.data === 'string' && c.data.startsWith('[DONE]'));
      return (done < 0 ? chunks : chunks.slice(0, done)).filter((c) => hasData(c) || c.event !== undefined).length;
    }
    case 'anthropic':
      return chunks.filter((c) => c.event !== undefined && c.event !== 'ping' && hasData(c) && c.data !== '').length;
    default:
      return chunks.filter(hasData).length;
  }
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
  };
}
