import { TraceForgeError } from '../errors.js';
import { oneLine } from '../util/one-line.js';
import { isStorableStatusMessage, STATUS_MESSAGE_RULE } from './status-message.js';
import { TRACE_SCHEMA_VERSION, type Trace } from './types.js';
import { findWsProblems } from '../ws/validate.js';

/**
 * Structural validation of a trace read from disk. Errors name the JSON path of the bad field,
 * so a hand-edited cassette or trace can be fixed without guessing.
 */
type Check = (v: unknown) => boolean;
const isStr: Check = (v) => typeof v === 'string';
const isNum: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const isInt: Check = (v) => Number.isInteger(v);
const isBool: Check = (v) => typeof v === 'boolean';
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface InvalidField {
  path: string;
  problem: string;
}

class Checker {
  problems: InvalidField[] = [];
  need(obj: Record<string, unknown>, key: string, check: Check, what: string, base: string, optional = false): void {
    const v = obj[key];
    if (v === undefined) {
      if (!optional) this.problems.push({ path: `${base}.${key}`, problem: `is missing (expected ${what})` });
      return;
    }
    if (!check(v)) this.problems.push({ path: `${base}.${key}`, problem: `must be ${what}, got ${describe(v)}` });
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `"${oneLine(v.length > 30 ? `${v.slice(0, 30)}…` : v)}"`;
  return typeof v;
}

/** What Node's http accepts on the wire: a header name is a token, a value has no CR, LF or NUL. */
const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// eslint-disable-next-line no-control-regex
const FIELD_VALUE_RE = /^[\t\x20-\x7e\x80-\xff]*$/;

const OUTCOMES = new Set(['complete', 'upstream_aborted', 'client_aborted', 'upstream_unreachable', 'recorder_refused', 'recorder_shutdown']);
const FRAMINGS = new Set(['sse', 'ndjson', 'eventstream', 'raw']);

/** Returns every problem found (empty when valid). `base` prefixes paths, e.g. `interactions[3]`. */
export function findTraceProblems(value: unknown, base = '$'): InvalidField[] {
  const c = new Checker();
  if (!isObj(value)) return [{ path: base, problem: `must be an object, got ${describe(value)}` }];
  const t = value;
  if (t.schema_version !== TRACE_SCHEMA_VERSION) {
    c.problems.push({
      path: `${base}.schema_version`,
      problem: `is ${describe(t.schema_version)}; this TraceForge reads version ${TRACE_SCHEMA_VERSION} (re-record, or upgrade TraceForge)`,
    });
  }
  c.need(t, 'id', isStr, 'a string', base);
  c.need(t, 'timestamp', isStr, 'an ISO-8601 string', base);
  c.need(t, 'endpoint', isStr, 'a string', base);
  if (!('request' in t)) c.problems.push({ path: `${base}.request`, problem: 'is missing (use null for no body)' });
  if (!isObj(t.metadata)) c.problems.push({ path: `${base}.metadata`, problem: 'must be an object' });
  else {
    const m = t.metadata;
    const mb = `${base}.metadata`;
    c.need(m, 'duration_ms', isNum, 'a number', mb);
    c.need(m, 'status', (v) => v === 'success' || v === 'error', '"success" or "error"', mb);
    c.need(m, 'stream', isBool, 'a boolean', mb);
    c.need(m, 'provider', isStr, 'a string', mb);
    if (m.model !== null) c.need(m, 'model', isStr, 'a string or null', mb, true);
  }
  if (!isObj(t.http)) c.problems.push({ path: `${base}.http`, problem: 'must be an object' });
  else {
    const h = t.http;
    const hb = `${base}.http`;
    c.need(h, 'method', isStr, 'a string', hb);
    c.need(h, 'url', (v) => isStr(v) && (v as string).startsWith('/'), 'a path starting with /', hb);
    c.need(h, 'status', (v) => isInt(v) && (v as number) >= 100 && (v as number) <= 599, 'an HTTP status (100-599)', hb);
    // Any reason phrase an upstream can send is kept (see status-message.ts); replay sends what Node allows.
    c.need(h, 'status_message', isStorableStatusMessage, STATUS_MESSAGE_RULE, hb, true);
    c.need(h, 'framing', (v) => FRAMINGS.has(v as string), '"sse", "ndjson", "eventstream" or "raw"', hb);
    c.need(h, 'outcome', (v) => OUTCOMES.has(v as string), [...OUTCOMES].join(' | '), hb);
    c.need(h, 'headers_ms', isNum, 'a number', hb);
    c.need(h, 'first_byte_ms', isNum, 'a number', hb, true);
    c.need(h, 'request_headers', isObj, 'an object', hb, true);
    if (!Array.isArray(h.response_headers)) c.problems.push({ path: `${hb}.response_headers`, problem: 'must be a list of [name, value] pairs' });
    else
      h.response_headers.forEach((p, i) => {
        if (!Array.isArray(p) || p.length !== 2 || !isStr(p[0]) || !isStr(p[1]))
          c.problems.push({ path: `${hb}.response_headers[${i}]`, problem: 'must be a [name, value] pair of strings' });
        // Replay writes these to the wire: a bad one would fail every request that matches.
        else if (!TOKEN_RE.test(p[0])) c.problems.push({ path: `${hb}.response_headers[${i}]`, problem: `has a name that is not an HTTP header name, got ${describe(p[0])}` });
        else if (!FIELD_VALUE_RE.test(p[1])) c.problems.push({ path: `${hb}.response_headers[${i}]`, problem: `has a value with a line break or control character, got ${describe(p[1])}` });
      });
    if (h.body !== undefined) checkPieces(c, h.body, `${hb}.body`);
    c.need(h, 'synthesized', isBool, 'a boolean', hb, true);
  }
  if (t.chunks !== undefined) {
    checkPieces(c, t.chunks, `${base}.chunks`);
    c.need(t, 'total_chunks', isInt, 'an integer', base, true);
    if (Array.isArray(t.chunks) && isInt(t.total_chunks) && t.total_chunks !== t.chunks.length)
      c.problems.push({ path: `${base}.total_chunks`, problem: `is ${t.total_chunks} but there are ${t.chunks.length} chunks` });
  }
  for (const k of ['stream_duration_ms', 'first_chunk_latency_ms', 'first_content_latency_ms']) c.need(t, k, isNum, 'a number', base, true);
  if (t.timing !== undefined) {
    if (!isObj(t.timing)) c.problems.push({ path: `${base}.timing`, problem: 'must be an object' });
    else c.need(t.timing, 'max_loop_delay_ms', isNum, 'a number', `${base}.timing`, true);
  }
  if (t.legacy !== undefined) {
    if (!isObj(t.legacy)) c.problems.push({ path: `${base}.legacy`, problem: 'must be an object' });
    else {
      c.need(t.legacy, 'schema_version', isStr, 'a string', `${base}.legacy`);
      c.need(t.legacy, 'fields', isObj, 'an object', `${base}.legacy`, true);
    }
  }
  if (t.websocket !== undefined) c.problems.push(...findWsProblems(t.websocket, `${base}.websocket`));
  return c.problems;
}

function checkPieces(c: Checker, list: unknown, base: string): void {
  if (!Array.isArray(list)) {
    c.problems.push({ path: base, problem: 'must be a list' });
    return;
  }
  list.forEach((p, i) => {
    const b = `${base}[${i}]`;
    if (!isObj(p)) {
      c.problems.push({ path: b, problem: 'must be an object with delta_ms and raw' });
      return;
    }
    c.need(p, 'delta_ms', (v) => isNum(v) && (v as number) >= 0, 'a number >= 0', b);
    c.need(p, 'raw', isStr, 'a string', b);
    c.need(p, 'raw_encoding', (v) => v === 'base64', '"base64"', b, true);
  });
}

/** Validate and narrow; throws E_TRACE_INVALID naming the first problems and where they are. */
export function assertTrace(value: unknown, source: string, base = '$'): Trace {
  const problems = findTraceProblems(value, base);
  if (problems.length > 0) {
    const list = problems.slice(0, 3).map((p) => `${p.path} ${p.problem}`).join('; ');
    const more = problems.length > 3 ? ` (and ${problems.length - 3} more)` : '';
    throw new TraceForgeError('E_TRACE_INVALID', `${source}: invalid trace: ${list}${more}`, { detail: problems });
  }
  return value as Trace;
}
