import type { Trace } from './types.js';

/**
 * Timing figures of one streamed trace, derived from its chunks' `delta_ms`.
 * A "gap" is the time between two consecutive chunks, so a stream of n chunks has n - 1 gaps
 * (the first chunk's delta is 0 by definition and is not a gap).
 */
export interface StreamMetrics {
  totalChunks: number;
  /** First chunk -> last chunk. */
  streamDurationMs: number;
  /** TTFB: request leaving -> first body byte. Null when not recorded. */
  firstChunkLatencyMs: number | null;
  /** Request leaving -> first chunk carrying content. Null when not recorded. */
  firstContentLatencyMs: number | null;
  /** Mean gap between chunks; null with fewer than two chunks. */
  averageChunkMs: number | null;
  p50GapMs: number | null;
  p95GapMs: number | null;
  /** The largest gap and the index of the chunk that ended it. */
  longestStall: { ms: number; index: number } | null;
  /** Output tokens per second of stream time, when the usage is known and the stream took time. */
  tokensPerSecond: number | null;
  /** Every gap, in order (chunk i + 1's delta_ms). */
  gaps: number[];
}

/** Nearest-rank percentile of an ascending-sorted list; null for an empty list. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/**
 * Compute the streaming figures of a trace. `outputTokens` (from the reconstructed usage) enables tokens per second.
 * @example
 * const m = streamMetrics(trace, { outputTokens: 42 });
 * m.p95GapMs; // 28.4
 */
export function streamMetrics(trace: Trace, opts: { outputTokens?: number | null } = {}): StreamMetrics {
  const chunks = trace.chunks ?? [];
  const gaps = chunks.slice(1).map((c) => c.delta_ms);
  const sorted = [...gaps].sort((a, b) => a - b);
  const summed = gaps.reduce((s, g) => s + g, 0);
  const streamDurationMs = trace.stream_duration_ms ?? summed;
  let longestStall: StreamMetrics['longestStall'] = null;
  gaps.forEach((ms, i) => {
    if (!longestStall || ms > longestStall.ms) longestStall = { ms, index: i + 1 };
  });
  const out = opts.outputTokens;
  return {
    totalChunks: trace.total_chunks ?? chunks.length,
    streamDurationMs,
    firstChunkLatencyMs: trace.first_chunk_latency_ms ?? trace.http.first_byte_ms ?? null,
    firstContentLatencyMs: trace.first_content_latency_ms ?? null,
    averageChunkMs: gaps.length > 0 ? summed / gaps.length : null,
    p50GapMs: percentile(sorted, 50),
    p95GapMs: percentile(sorted, 95),
    longestStall,
    tokensPerSecond: out != null && out > 0 && streamDurationMs > 0 ? out / (streamDurationMs / 1000) : null,
    gaps,
  };
}

/**
 * A gap that stands out from the stream's own rhythm: at least 4x its median and at least 50 ms.
 * Relative to the median so a uniformly slow model does not light up every row.
 */
export function isStall(gapMs: number, m: Pick<StreamMetrics, 'p50GapMs'>): boolean {
  return gapMs >= 50 && gapMs >= 4 * (m.p50GapMs ?? 0);
}

/** Offsets from the request start at which each chunk arrived: TTFB + the running sum of delta_ms. */
export function chunkOffsets(trace: Trace): number[] {
  let at = trace.first_chunk_latency_ms ?? trace.http.first_byte_ms ?? 0;
  return (trace.chunks ?? []).map((c, i) => (at += i === 0 ? 0 : c.delta_ms));
}

/** Upper bounds (ms) of the gap histogram buckets; the last bucket is open-ended. */
export const GAP_BUCKETS = [1, 5, 20, 50, 100, 500] as const;

/** Count gaps per bucket: `< 1`, `1-5`, `5-20`, `20-50`, `50-100`, `100-500`, `>= 500` ms. */
export function gapHistogram(gaps: readonly number[]): number[] {
  const counts = new Array<number>(GAP_BUCKETS.length + 1).fill(0);
  for (const g of gaps) {
    const i = GAP_BUCKETS.findIndex((b) => g < b);
    counts[i < 0 ? GAP_BUCKETS.length : i]! += 1;
  }
  return counts;
}

export function gapBucketLabels(): string[] {
  return GAP_BUCKETS.map((b, i) => (i === 0 ? `<${b}` : `${GAP_BUCKETS[i - 1]}-${b}`)).concat(`>=${GAP_BUCKETS.at(-1)}`);
}

const SPARKS = '▁▂▃▄▅▆▇█';

/**
 * A one-line sparkline of the gaps, downsampled to `width` cells by taking each cell's maximum
 * (a stall must not be averaged away). Scaled to the largest gap.
 */
export function sparkline(gaps: readonly number[], width: number): string {
  if (gaps.length === 0 || width <= 0) return '';
  const cells = Math.min(width, gaps.length);
  const values: number[] = [];
  for (let c = 0; c < cells; c++) {
    const from = Math.floor((c * gaps.length) / cells);
    const to = Math.max(from + 1, Math.floor(((c + 1) * gaps.length) / cells));
    values.push(Math.max(...gaps.slice(from, to)));
  }
  const max = Math.max(...values);
  return values.map((v) => SPARKS[max <= 0 ? 0 : Math.min(7, Math.floor((v / max) * 7.999))]).join('');
}
