import { open, readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { TraceForgeError } from '../errors.js';
import { parseTrace, stringifyTrace } from '../trace/codec.js';
import { spilledOf } from '../trace/spilled.js';
import type { Trace } from '../trace/types.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { statRegularFile } from '../util/regular-file.js';
import { listTraces } from './trace-index.js';
import { writeSpilledTrace } from './trace-stream-write.js';
import { DEFAULT_WINDOW_BYTES, readTraceWindow, type TraceWindow, type WindowOptions } from './trace-window.js';

export { DEFAULT_WINDOW_BYTES, readTraceWindow, type TraceWindow, type WindowOptions } from './trace-window.js';

/** The size above which a trace file is read as a window: 64 MiB, or TRACEFORGE_WINDOW_BYTES when set. */
export function windowBytes(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.TRACEFORGE_WINDOW_BYTES);
  return n > 0 ? n : DEFAULT_WINDOW_BYTES;
}

/** A trace as the view gets it: whole, or (over the limit) a window of its chunks with totals over all of them. */
export interface LoadedTrace {
  trace: Trace;
  /** Null when the whole trace was loaded. */
  window: TraceWindow | null;
  path: string;
}

export const DEFAULT_TRACES_DIR = join('.ai-tests', 'traces');

/** What to do about a FIFO, socket, device or directory named like a trace. */
const NOT_A_TRACE_FILE = 'remove or rename it; traces are regular .json files';

/** Ids and prefixes are plain tokens: anything path-like is refused before touching the disk. */
const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** `2026-11-24T15:41:00.123Z` -> `2026-11-24T15-41-00-123Z`: sortable and safe on every filesystem. */
export function traceFileName(trace: Pick<Trace, 'id' | 'timestamp'>): string {
  return `${trace.timestamp.replace(/[:.]/g, '-')}_${trace.id}.json`;
}

/**
 * The id part of `<timestamp>_<id>.json`, or null for files that are not traces. A name without `_`
 * (`<id>.json`, as the first TraceForge may have named its traces) is its own id.
 */
export function idFromFileName(name: string): string | null {
  if (!name.endsWith('.json') || name.startsWith('.') || name.length <= '.json'.length) return null;
  const us = name.lastIndexOf('_');
  return name.slice(us + 1, -'.json'.length) || null;
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

/**
 * A first-TraceForge trace has no raw bytes to stream piece by piece, so one over the whole-load limit
 * cannot be shown as a window: say so, and how to convert it, rather than fail on its first chunk.
 */
async function refuseBigLegacy(path: string, size: number, limitBytes: number): Promise<void> {
  const fh = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(4096), 0, 4096, 0);
    if (!/^\{\s*"schema_version"\s*:\s*"1[.\d]*"/.test(buffer.subarray(0, bytesRead).toString('utf8'))) return;
  } finally {
    await fh.close();
  }
  throw new TraceForgeError(
    'E_TRACE_INVALID',
    `${path}: a schema 1.0.0 trace (first TraceForge) of ${size} bytes, over the ${limitBytes} bytes read whole (TRACEFORGE_WINDOW_BYTES); run \`traceforge trace upgrade ${path}\` once, then view it`,
  );
}

/**
 * The trace files of a directory: save one (atomically, named `<timestamp>_<id>.json`), load one by id or
 * unique prefix, or read a window of one too big to load whole.
 * @example
 * const store = createTraceStore();            // .ai-tests/traces
 * const trace = await store.load('3f2a9c');
 */
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
    let hits = exact.length > 0 ? exact : all.filter((n) => idFromFileName(n)!.startsWith(key) || n.startsWith(key));
    // A file not named after its id (the first TraceForge's traces): look the id up in the listing.
    if (hits.length === 0) {
      const { rows } = await listTraces(root, { writeIndex: false, wholeLimitBytes: windowBytes() });
      const byId = rows.filter((r) => r.id === key);
      hits = (byId.length > 0 ? byId : rows.filter((r) => r.id.startsWith(key))).map((r) => r.file);
    }
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
      const size = (await statRegularFile(path, 'E_TRACE_INVALID', NOT_A_TRACE_FILE)).size;
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
      const size = (await statRegularFile(path, 'E_TRACE_INVALID', NOT_A_TRACE_FILE)).size;
      const limitBytes = opts.limitBytes ?? windowBytes();
      if (size <= limitBytes) return { trace: parseTrace(await readFile(path, 'utf8'), path), window: null, path };
      await refuseBigLegacy(path, size, limitBytes);
      return { ...(await readTraceWindow(path, { ...opts, limitBytes })), path };
    },
  };
}
