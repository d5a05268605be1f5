import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { convertLegacyTrace, isLegacyTrace } from '../trace/legacy.js';
import { rowFromMembers, type TraceRow } from './trace-row.js';
import { DEFAULT_WINDOW_BYTES } from './trace-window.js';

/** Bytes read from each end of a trace; the chunks in the middle are never read. */
export const WINDOW_BYTES = 16 * 1024;

/**
 * Trace files are written with `JSON.stringify(trace, null, 2)`. JSON strings cannot hold a raw newline,
 * so a newline, exactly two spaces and a quote can only start a top-level member: that makes the
 * members findable in any window of the file without parsing what surrounds them.
 */
const MEMBER_RE = /\n {2}"([^"\\]+)": /g;
/**
 * Top-level members the table needs; `response` and `chunks` are skipped. `request` gives the prompt column
 * when it lies whole in a window read anyway; it is never read further for (a longer one shows no prompt).
 */
const WANTED = new Set(['schema_version', 'id', 'timestamp', 'endpoint', 'request', 'metadata', 'http', 'total_chunks', 'first_chunk_latency_ms']);
/** Direct scalar members of `http` when the object is cut by the window edge. */
const HTTP_SCALAR_RE = /\n {4}"(status|method|first_byte_ms|outcome|synthesized)": ("[^"\\\n]*"|-?[\d.eE+-]+|true|false)/g;

/**
 * Collect wanted top-level members found in `text`. `endsAtEof` says the window's last member ends the file.
 * Members that run past the window edge are skipped, except `http`, whose scalars are picked out.
 */
export function scanMembers(text: string, endsAtEof: boolean, into: Record<string, unknown> = {}): Record<string, unknown> {
  const hits = [...text.matchAll(MEMBER_RE)];
  hits.forEach((h, i) => {
    const key = h[1]!;
    if (!WANTED.has(key) || key in into) return;
    const start = h.index + h[0].length;
    const next = hits[i + 1];
    const end = next ? next.index - 1 /* the comma */ : endsAtEof ? text.lastIndexOf('\n}') : -1;
    if (end > start) {
      try {
        into[key] = JSON.parse(text.slice(start, end)) as unknown;
        return;
      } catch {
        // A window edge inside a member looks like a parse error; fall through.
      }
    }
    if (key === 'http') {
      const cut = text.slice(start, end > start ? end : undefined);
      const http: Record<string, unknown> = {};
      for (const s of cut.matchAll(HTTP_SCALAR_RE)) http[s[1]!] ??= JSON.parse(s[2]!) as unknown;
      if ('status' in http) into.http = http;
    }
  });
  return into;
}

function readFull(path: string): Record<string, unknown> {
  const value = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a JSON object');
  return value as Record<string, unknown>;
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  return buf.subarray(0, readSync(fd, buf, 0, length, position));
}

function ready(file: string, m: Record<string, unknown>): boolean {
  // A first-TraceForge file (schema "1.0.0") is converted whole: its members are not ours.
  if (typeof m.schema_version === 'string') return false;
  const row = rowFromMembers(file, m);
  return typeof row !== 'string' && (!row.stream || 'first_chunk_latency_ms' in m);
}

const SCAN_BLOCK = 256 * 1024;

/**
 * Walk the file from the start in blocks until the row's members are found, keeping only the text of a
 * wanted member still being read (or a few bytes to catch the next member's start): memory stays
 * bounded however big `response` or `chunks` are. Used when a member before `metadata` outgrew the head window.
 */
function scanForward(fd: number, file: string, size: number, into: Record<string, unknown>): void {
  const decoder = new TextDecoder();
  let carry = '';
  for (let pos = 0; pos < size && !ready(file, into); pos += SCAN_BLOCK) {
    const text = carry + decoder.decode(readAt(fd, pos, SCAN_BLOCK), { stream: true });
    scanMembers(text, pos + SCAN_BLOCK >= size, into);
    const last = [...text.matchAll(MEMBER_RE)].at(-1);
    // A request is not worth holding in memory for the prompt column: only the row's members are carried.
    carry = last && WANTED.has(last[1]!) && last[1] !== 'request' && !(last[1]! in into) ? text.slice(last.index) : text.slice(-64);
  }
}

/**
 * Read the list row of one trace file without parsing it: its first and last 16 KiB usually hold every
 * field the table needs; when a long request or response pushes `metadata` past the head, a bounded
 * forward scan finds it. Falls back to parsing the whole file when the layout is not the one TraceForge
 * writes (hand-edited or minified). Synchronous on purpose: thousands of small reads from the page
 * cache cost less than the thread-pool round trips of async I/O.
 */
export function readTraceRow(path: string, file: string, size: number, wholeLimitBytes = DEFAULT_WINDOW_BYTES): TraceRow {
  const members: Record<string, unknown> = {};
  const fd = openSync(path, 'r');
  try {
    const whole = size <= 2 * WINDOW_BYTES;
    const head = readAt(fd, 0, whole ? size : WINDOW_BYTES).toString('utf8');
    if (head.startsWith('{\n  "')) {
      scanMembers(head, whole, members);
      if (!whole && !ready(file, members)) scanMembers(readAt(fd, size - WINDOW_BYTES, WINDOW_BYTES).toString('utf8'), true, members);
      if (!whole && !ready(file, members)) scanForward(fd, file, size, members);
    }
  } finally {
    closeSync(fd);
  }
  // Parsing whole is for files in another layout (a first-TraceForge trace, a hand-edited one); a huge one
  // would be read to the end (a sparse 3 GB file of zeros took 6 s per listing, and its error was V8's
  // string limit). The cap is at least the default window, whatever TRACEFORGE_WINDOW_BYTES says: a
  // smaller window must not hide a legacy trace from the listing, whose load then says to upgrade it.
  const cap = Math.max(wholeLimitBytes, DEFAULT_WINDOW_BYTES);
  if (!ready(file, members) && size > cap) {
    throw new Error(`${size} bytes, not in the layout TraceForge writes (2-space indented JSON) and over the ${cap} bytes a trace is parsed whole (TRACEFORGE_WINDOW_BYTES); re-record it, or re-indent it as JSON.stringify(trace, null, 2) does`);
  }
  const row = ready(file, members) ? rowFromMembers(file, members) : rowFromFull(file, readFull(path));
  if (typeof row === 'string') throw new Error(`not a trace: ${row}`);
  return row;
}

/** The row of a parsed file; a first-TraceForge trace is converted first and says so. */
function rowFromFull(file: string, value: Record<string, unknown>): TraceRow | string {
  if (!isLegacyTrace(value)) return rowFromMembers(file, value);
  // Only the row is kept: the bodies need no redaction pass here (they are redacted when a trace is loaded).
  const r = convertLegacyTrace(value, file, { rowOnly: true });
  if (!r.ok) return r.error.replace(`${file}: `, '');
  const row = rowFromMembers(file, r.trace as unknown as Record<string, unknown>);
  return typeof row === 'string' ? row : { ...row, legacy: String(value.schema_version).trim() };
}
