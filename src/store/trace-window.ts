/** Reading a trace file too big to load whole: its first and last chunks, and figures over all of them. */
import { GAP_BUCKETS, type StreamMetrics } from '../trace/metrics.js';
import type { Trace, TraceChunk } from '../trace/types.js';
import { readTraceStream, type Piece, type PieceKind } from './trace-stream-read.js';

/**
 * Trace files bigger than this are never read whole: `load()` refuses them and `loadForView()` reads a
 * window (default 64 MiB, or TRACEFORGE_WINDOW_BYTES). A whole parse needs the file as one string and
 * several times its size in heap; at ~500 MB that is V8's string limit and gigabytes.
 */
export const DEFAULT_WINDOW_BYTES = 64 * 1024 * 1024;

export interface WindowOptions {
  /** File size above which the trace is read as a window. Default {@link DEFAULT_WINDOW_BYTES}. */
  limitBytes?: number;
  /** Chunks kept from the start. Default 2,000. */
  head?: number;
  /** Chunks kept from the end. Default 50. */
  tail?: number;
}

/** What a windowed trace holds and the figures computed over every chunk while streaming past them. */
export interface TraceWindow {
  fileBytes: number;
  limitBytes: number;
  /** Chunks (streams) or body reads in the file. */
  totalPieces: number;
  /** `trace.chunks` (or `http.body`) holds pieces [0, headCount) then [tailStart, totalPieces). */
  headCount: number;
  tailStart: number;
  /** Bytes of the recorded body, decoded. */
  bodyBytes: number;
  /** Over every chunk. `gaps` is downsampled to at most 1,024 maxima (enough for a sparkline, a stall is never averaged away). */
  metrics: StreamMetrics;
  /** Gap counts per GAP_BUCKETS bucket, over every gap. */
  histogram: number[];
  /** Per chunk in `trace.chunks`: ms since the request left. */
  offsets: number[];
}

const SPARK_CELLS = 1024;
const rawBytes = (p: Piece) => (p.raw_encoding === 'base64' ? Buffer.byteLength(p.raw, 'base64') : Buffer.byteLength(p.raw, 'utf8'));

/** Nearest-rank percentile, as metrics.ts computes it, on a sorted typed array. */
const rank = (sorted: Float64Array, p: number) => (sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!);

/**
 * Read a big trace in one streaming pass: every field but its pieces, the first `head` and last `tail`
 * pieces, and the stream's figures over all of them (count, body bytes, gap percentiles, longest stall,
 * duration). Memory: the window, plus 8 bytes per chunk for exact gap percentiles.
 */
export async function readTraceWindow(path: string, opts: WindowOptions & { limitBytes: number }): Promise<{ trace: Trace; window: TraceWindow }> {
  const head = opts.head ?? 2000;
  const tail = opts.tail ?? 50;
  const kept: Record<PieceKind, { first: Piece[]; last: Piece[]; lastCum: number[]; firstCum: number[] }> = {
    chunks: { first: [], last: [], lastCum: [], firstCum: [] },
    body: { first: [], last: [], lastCum: [], firstCum: [] },
  };
  let gaps = new Float64Array(1024);
  let cum = 0;
  let bodyBytes = 0;
  const histogram = new Array<number>(GAP_BUCKETS.length + 1).fill(0);
  let stall: StreamMetrics['longestStall'] = null;
  const { rest, counts, size } = await readTraceStream(path, {
    onPiece(p, kind, i) {
      bodyBytes += rawBytes(p);
      const k = kept[kind];
      if (kind === 'chunks' && i > 0) {
        if (i > gaps.length) {
          const grown = new Float64Array(gaps.length * 2);
          grown.set(gaps);
          gaps = grown;
        }
        gaps[i - 1] = p.delta_ms;
        cum += p.delta_ms;
        const b = GAP_BUCKETS.findIndex((x) => p.delta_ms < x);
        histogram[b < 0 ? GAP_BUCKETS.length : b]! += 1;
        if (!stall || p.delta_ms > stall.ms) stall = { ms: p.delta_ms, index: i };
      }
      if (i < head) {
        k.first.push(p);
        k.firstCum.push(cum);
      } else if (tail > 0) {
        k.last.push(p);
        k.lastCum.push(cum);
        if (k.last.length > tail) {
          k.last.shift();
          k.lastCum.shift();
        }
      }
    },
  });
  const kind: PieceKind = counts.chunks !== undefined ? 'chunks' : 'body';
  const total = counts[kind] ?? 0;
  const k = kept[kind];
  const n = Math.max(0, (counts.chunks ?? 0) - 1);
  const all = gaps.subarray(0, n);
  const sum = all.reduce((s, g) => s + g, 0);
  const sorted = Float64Array.from(all).sort();
  const cells = Math.min(SPARK_CELLS, n);
  const spark = Array.from({ length: cells }, (_, c) => {
    const from = Math.floor((c * n) / cells);
    return all.subarray(from, Math.max(from + 1, Math.floor(((c + 1) * n) / cells))).reduce((m, g) => Math.max(m, g), 0);
  });
  const ttfb = rest.first_chunk_latency_ms ?? rest.http.first_byte_ms ?? null;
  const metrics: StreamMetrics = {
    totalChunks: rest.total_chunks ?? counts.chunks ?? 0,
    streamDurationMs: rest.stream_duration_ms ?? sum,
    firstChunkLatencyMs: ttfb,
    firstContentLatencyMs: rest.first_content_latency_ms ?? null,
    averageChunkMs: n > 0 ? sum / n : null,
    p50GapMs: rank(sorted, 50),
    p95GapMs: rank(sorted, 95),
    longestStall: stall,
    tokensPerSecond: null,
    gaps: spark,
  };
  const pieces = [...k.first, ...k.last];
  const trace = rest;
  if (kind === 'chunks') trace.chunks = pieces as TraceChunk[];
  else if (counts.body !== undefined) trace.http.body = pieces;
  const offsets = kind === 'chunks' ? [...k.firstCum, ...k.lastCum].map((c) => (ttfb ?? 0) + c) : [];
  return {
    trace,
    window: { fileBytes: size, limitBytes: opts.limitBytes, totalPieces: total, headCount: k.first.length, tailStart: total - k.last.length, bodyBytes, metrics, histogram, offsets },
  };
}
