import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { TraceForgeError } from '../errors.js';
import { parseTrace, stringifyTrace } from '../trace/codec.js';
import { spilledOf } from '../trace/spilled.js';
import { GAP_BUCKETS, type StreamMetrics } from '../trace/metrics.js';
import type { Trace, TraceChunk } from '../trace/types.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { writeSpilledTrace } from './trace-stream-write.js';
import { readTraceStream, type Piece, type PieceKind } from './trace-stream-read.js';

/**
 * Trace files bigger than this are never read whole: `load()` refuses them and `loadForView()` reads a
 * window (default 64 MiB, or TRACEFORGE_WINDOW_BYTES). A whole parse needs the file as one string and
 * several times its size in heap; at ~500 MB that is V8's string limit and gigabytes.
 */
export const DEFAULT_WINDOW_BYTES = 64 * 1024 * 1024;

export function windowBytes(): number {
  const env = Number(process.env.TRACEFORGE_WINDOW_BYTES);
  return env > 0 ? env : DEFAULT_WINDOW_BYTES;
}

/** A trace as the view gets it: whole, or (over the limit) a window of its chunks with totals over all of them. */
export interface LoadedTrace {
  trace: Trace;
  /** Null when the whole trace was loaded. */
  window: TraceWindow | null;
  path: string;
}

export const DEFAULT_TRACES_DIR = join('.ai-tests', 'traces');

/** Ids and prefixes are plain tokens: anything path-like is refused before touching the disk. */
const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** `2026-11-24T15:41:00.123Z` -> `2026-11-24T15-41-00-123Z`: sortable and safe on every filesystem. */
export function traceFileName(trace: Pick<Trace, 'id' | 'timestamp'>): string {
  return `${trace.timestamp.replace(/[:.]/g, '-')}_${trace.id}.json`;
}

/** The id part of `<timestamp>_<id>.json`, or null for files that are not traces. */
export function idFromFileName(name: string): string | null {
  if (!name.endsWith('.json') || name.startsWith('.')) return null;
  const us = name.lastIndexOf('_');
  return us < 0 ? null : name.slice(us + 1, -'.json'.length);
}

export interface TraceStore {
  readonly dir: string;
  /** Atomically write the trace; returns its path. */
  save(trace: Trace): Promise<string>;
  /** File names of every trace, newest first. */
  files(): Promise<string[]>;
  /** Resolve an id, a unique id prefix or a file name to a path inside the store. */
  resolve(idOrPrefix: string): Promise<string>;
  /** Parse the whole trace; refuses files over {@link windowBytes} (use `loadForView`). */
  load(idOrPrefix: string): Promise<Trace>;
  /** The whole trace when small; over the limit, its first and last chunks plus totals streamed over every chunk. */
  loadForView(idOrPrefix: string, opts?: WindowOptions): Promise<LoadedTrace>;
}

export function createTraceStore(dir: string = DEFAULT_TRACES_DIR): TraceStore {
  const root = resolve(dir);
  const files = async (): Promise<string[]> => {
    let names: string[];
    try {
      names = await readdir(root);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    return names.filter((n) => idFromFileName(n) !== null).sort().reverse();
  };
  const resolveId = async (input: string): Promise<string> => {
    const key = input.trim();
    if (!ID_RE.test(key) || key.includes('..')) {
      throw new TraceForgeError(
        'E_BAD_ID',
        `"${input}" is not a trace id: use an id or id prefix from \`traceforge trace list\` (paths are not accepted)`,
      );
    }
    const all = await files();
    const exact = all.filter((n) => n === key || n === `${key}.json` || idFromFileName(n) === key);
    const hits = exact.length > 0 ? exact : all.filter((n) => idFromFileName(n)!.startsWith(key) || n.startsWith(key));
    if (hits.length === 0) {
      throw new TraceForgeError(
        'E_TRACE_NOT_FOUND',
        `no trace matches "${key}" in ${dir}: run \`traceforge trace list\` to see the recorded ids`,
      );
    }
    if (hits.length > 1) {
      const ids = hits.slice(0, 8).map((n) => idFromFileName(n)!);
      throw new TraceForgeError(
        'E_TRACE_AMBIGUOUS',
        `"${key}" matches ${hits.length} traces (${ids.join(', ')}${hits.length > 8 ? ', …' : ''}): type more of the id`,
        { detail: hits },
      );
    }
    return join(root, hits[0]!);
  };
  return {
    dir: root,
    files,
    resolve: resolveId,
    async save(trace) {
      const path = join(root, traceFileName(trace));
      // A body the recorder spilled to disk is streamed into the file rather than held in memory.
      const spilled = spilledOf(trace);
      if (spilled) await writeSpilledTrace(path, trace, spilled);
      else await writeFileAtomic(path, stringifyTrace(trace));
      return path;
    },
    async load(idOrPrefix) {
      const path = await resolveId(idOrPrefix);
      const size = (await stat(path)).size;
      const limit = windowBytes();
      if (size > limit) {
        throw new TraceForgeError(
          'E_TRACE_INVALID',
          `${path}: ${size} bytes is over the ${limit} bytes a trace is loaded whole (TRACEFORGE_WINDOW_BYTES); \`traceforge trace view\` shows it as a window, and readTraceStream() reads every chunk in bounded memory`,
        );
      }
      return parseTrace(await readFile(path, 'utf8'), path);
    },
    async loadForView(idOrPrefix, opts = {}) {
      const path = await resolveId(idOrPrefix);
      const size = (await stat(path)).size;
      const limitBytes = opts.limitBytes ?? windowBytes();
      if (size <= limitBytes) return { trace: parseTrace(await readFile(path, 'utf8'), path), window: null, path };
      return { ...(await readTraceWindow(path, { ...opts, limitBytes })), path };
    },
  };
}

export interface WindowOptions {
  /** File size above which the trace is read as a window. Default {@link windowBytes}. */
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
