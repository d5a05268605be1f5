import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { statRegularFile } from '../util/regular-file.js';
import { TraceForgeError } from '../errors.js';
import { parseTrace } from '../trace/codec.js';
import type { BodyRead, Trace, TraceChunk } from '../trace/types.js';
import { assertTrace } from '../trace/validate.js';

export type PieceKind = 'chunks' | 'body';
export type Piece = TraceChunk | BodyRead;

/** Files not in TraceForge's layout are parsed whole only up to this size (the whole text is one string). */
export const DEFAULT_FULL_PARSE_LIMIT = 64 * 1024 * 1024;
/** One piece bigger than this means the file is not laid out piece per block: refuse rather than grow without bound. */
const MAX_PIECE_TEXT = 64 * 1024 * 1024;

export interface StreamReadOptions {
  /** Called once per chunk (`chunks`) or body read (`http.body`), in file order, `index` counting per kind. */
  onPiece(piece: Piece, kind: PieceKind, index: number): void;
  /** Default {@link DEFAULT_FULL_PARSE_LIMIT}. */
  fullParseLimit?: number;
  /** Read size; tests make it tiny so markers fall across block edges. Default 1 MiB. */
  blockBytes?: number;
}

export interface StreamReadResult {
  /** The trace without `chunks` and `http.body`: those went to `onPiece`. */
  rest: Trace;
  /** How many pieces of each kind; a key is present only when the file had that member. */
  counts: { chunks?: number; body?: number };
  /** `stream`: piece by piece in TraceForge's layout; `whole`: another layout, small enough to parse whole. */
  mode: 'stream' | 'whole';
  size: number;
}

/**
 * `JSON.stringify(trace, null, 2)` puts a non-empty array's elements one per block at a fixed indent, and
 * JSON strings cannot hold a raw newline: so `\n  "chunks": [\n` can only open the top-level chunks, a
 * line of exactly four spaces and `}` can only close one chunk, and `\n  ]` can only close the array.
 * The same holds one level deeper for `http.body`.
 */
const OPEN: Record<PieceKind, string> = { chunks: '\n  "chunks": [\n', body: '\n    "body": [\n' };
const INDENT: Record<PieceKind, number> = { chunks: 4, body: 6 };
const MEMBER_AT = /\n {2}"([^"\\]+)": /y;

/** The top-level member that `text` is inside of at `pos`, or undefined when no member starts before it. */
function memberAt(text: string, pos: number): string | undefined {
  const at = text.lastIndexOf('\n  "', pos);
  if (at < 0) return undefined;
  MEMBER_AT.lastIndex = at;
  return MEMBER_AT.exec(text)?.[1];
}

function checkPiece(p: unknown, path: string, kind: PieceKind, i: number): Piece {
  const o = p as Partial<TraceChunk> | null;
  if (typeof o !== 'object' || o === null || Array.isArray(o) || typeof o.raw !== 'string' || typeof o.delta_ms !== 'number' || !(o.delta_ms >= 0) || (o.raw_encoding !== undefined && o.raw_encoding !== 'base64')) {
    const at = kind === 'chunks' ? `$.chunks[${i}]` : `$.http.body[${i}]`;
    throw new TraceForgeError('E_TRACE_INVALID', `${path}: invalid trace: ${at} must be an object with delta_ms (a number >= 0) and raw (a string)`);
  }
  return o as Piece;
}

/** Emit the arrays a parsed object still holds (a whole parse, or an empty array written inline) and drop them. */
function drainInline(rest: Record<string, unknown>, counts: StreamReadResult['counts'], path: string, onPiece: StreamReadOptions['onPiece']): void {
  const http = rest.http as Record<string, unknown> | undefined;
  const lists: Array<[PieceKind, Record<string, unknown> | undefined, string]> = [
    ['chunks', rest, 'chunks'],
    ['body', http, 'body'],
  ];
  for (const [kind, owner, key] of lists) {
    if (!owner || !(key in owner)) continue;
    const list = owner[key];
    if (!Array.isArray(list)) continue; // left for assertTrace to report
    counts[kind] ??= 0;
    for (const p of list) {
      const i: number = counts[kind] ?? 0;
      onPiece(checkPiece(p, path, kind, i), kind, i);
      counts[kind] = i + 1;
    }
    delete owner[key];
  }
}

function finish(rest: unknown, counts: StreamReadResult['counts'], path: string, onPiece: StreamReadOptions['onPiece']): Trace {
  if (typeof rest === 'object' && rest !== null && !Array.isArray(rest)) drainInline(rest as Record<string, unknown>, counts, path, onPiece);
  const trace = assertTrace(rest, path);
  if (counts.chunks !== undefined && trace.total_chunks !== undefined && trace.total_chunks !== counts.chunks) {
    throw new TraceForgeError('E_TRACE_INVALID', `${path}: invalid trace: $.total_chunks is ${trace.total_chunks} but there are ${counts.chunks} chunks`);
  }
  return trace;
}

/**
 * Read a trace file piece by piece in bounded memory: everything but `chunks` and `http.body` is parsed
 * as usual, and each chunk or body read is handed to `onPiece` as the file streams past, so a 500 MB
 * trace costs its largest piece plus a read buffer, not gigabytes of heap. Files in another layout
 * (minified, hand-edited) are parsed whole up to `fullParseLimit` and refused above it.
 * @example
 * let bytes = 0;
 * const { rest, counts } = await readTraceStream(path, { onPiece: (p) => (bytes += p.raw.length) });
 */
export async function readTraceStream(path: string, opts: StreamReadOptions): Promise<StreamReadResult> {
  const size = (await statRegularFile(path, 'E_TRACE_INVALID', 'pass a trace file')).size;
  const counts: StreamReadResult['counts'] = {};
  const fh = createReadStream(path, { highWaterMark: opts.blockBytes ?? 1 << 20 });
  const decoder = new TextDecoder('utf-8', { fatal: false });
  const head: string[] = [];
  let buf = '';
  let member: string | undefined;
  let inside: PieceKind | null = null;
  let first = true;

  const emit = (text: string, kind: PieceKind) => {
    let list: unknown[];
    try {
      list = JSON.parse(`[${text}]`) as unknown[];
    } catch (e) {
      const n = counts[kind] ?? 0;
      throw new TraceForgeError('E_TRACE_INVALID', `${path}: not valid JSON in ${kind === 'chunks' ? '$.chunks' : '$.http.body'} after piece ${n} (${e instanceof Error ? e.message : String(e)}); the file may be damaged: re-record it or delete it`, { cause: e });
    }
    for (const p of list) {
      const i = counts[kind] ?? 0;
      opts.onPiece(checkPiece(p, path, kind, i), kind, i);
      counts[kind] = i + 1;
    }
  };

  /** Consume as much of `buf` as can be decided now. */
  const step = () => {
    for (;;) {
      if (inside) {
        const indent = INDENT[inside];
        const close = buf.indexOf(`\n${' '.repeat(indent - 2)}]`);
        if (close >= 0) {
          if (close > 0) emit(buf.slice(0, close), inside);
          buf = buf.slice(close + indent);
          inside = null;
          continue;
        }
        const end = `\n${' '.repeat(indent)}},\n`;
        const cut = buf.lastIndexOf(end);
        if (cut >= 0) {
          emit(buf.slice(0, cut + end.length - 2), inside);
          buf = buf.slice(cut + end.length);
        } else if (buf.length > MAX_PIECE_TEXT) {
          throw new TraceForgeError('E_TRACE_INVALID', `${path}: a piece of ${inside === 'chunks' ? '$.chunks' : '$.http.body'} runs past ${MAX_PIECE_TEXT} characters, so this file is not laid out as TraceForge writes it; re-record it`);
        }
        return;
      }
      let hit: PieceKind | null = null;
      let at = -1;
      const c = counts.chunks === undefined ? buf.indexOf(OPEN.chunks) : -1;
      for (let b = buf.indexOf(OPEN.body); b >= 0; b = buf.indexOf(OPEN.body, b + 1)) {
        // `"body"` four spaces in could also be a key of the request: only the one inside `http` counts.
        if ((memberAt(buf, b) ?? member) === 'http' && counts.body === undefined) {
          at = b;
          hit = 'body';
          break;
        }
      }
      if (c >= 0 && (at < 0 || c < at)) [at, hit] = [c, 'chunks'];
      if (hit) {
        const name = hit === 'chunks' ? '"chunks"' : '"body"';
        head.push(buf.slice(0, at + OPEN[hit].indexOf(name) + name.length), ': []');
        member = memberAt(buf, at) ?? member;
        buf = buf.slice(at + OPEN[hit].length);
        counts[hit] = 0;
        inside = hit;
        continue;
      }
      // Keep from the last newline: a marker or member name cut by the block edge starts there.
      const nl = buf.lastIndexOf('\n');
      if (nl > 0) {
        member = memberAt(buf, nl - 1) ?? member;
        head.push(buf.slice(0, nl));
        buf = buf.slice(nl);
      }
      return;
    }
  };

  for await (const block of fh as AsyncIterable<Buffer>) {
    buf += decoder.decode(block, { stream: true });
    if (first) {
      if (buf.length < 5 && size >= 5) continue;
      first = false;
      if (!buf.startsWith('{\n  "')) {
        fh.destroy();
        return readWhole(path, size, opts);
      }
    }
    step();
  }
  buf += decoder.decode();
  step();
  if (first) return readWhole(path, size, opts);
  if (inside) {
    throw new TraceForgeError('E_TRACE_INVALID', `${path}: the file ends inside ${inside === 'chunks' ? '$.chunks' : '$.http.body'} after ${counts[inside]} pieces; it is truncated: re-record it or delete it`);
  }
  head.push(buf);
  return { rest: finish(parseJson(head.join(''), path), counts, path, opts.onPiece), counts, mode: 'stream', size };
}

/** Parse without validating (the arrays are still empty placeholders); a syntax error gets parseTrace's message. */
function parseJson(text: string, path: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return parseTrace(text, path);
  }
}

async function readWhole(path: string, size: number, opts: StreamReadOptions): Promise<StreamReadResult> {
  const limit = opts.fullParseLimit ?? DEFAULT_FULL_PARSE_LIMIT;
  if (size > limit) {
    throw new TraceForgeError(
      'E_TRACE_INVALID',
      `${path}: this ${size}-byte trace is not in the layout TraceForge writes (2-space indented JSON), and a trace over ${limit} bytes is only read in that layout, piece by piece; re-record it, or re-indent it as JSON.stringify(trace, null, 2) does`,
    );
  }
  const counts: StreamReadResult['counts'] = {};
  const parsed = parseJson(await readFile(path, 'utf8'), path);
  return { rest: finish(parsed, counts, path, opts.onPiece), counts, mode: 'whole', size };
}
