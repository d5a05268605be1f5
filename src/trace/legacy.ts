/**
 * Traces written by the first TraceForge (`schema_version: "1.0.0"`, a string), read as our Trace.
 *
 * We do not have that tool's code. What we know comes from issue 12 (item 7) and the architecture
 * notes: its traces lived in `.ai-tests/traces/*.json`; they had `chunks` with `delta_ms`, no raw bytes,
 * no `http` block and no `metadata` object; the timing names were ours (`first_chunk_latency_ms`,
 * `stream_duration_ms`, `total_chunks`, `delta_ms`); its proxy re-serialised each chunk and added
 * `delta_ms` to it. Everything else is inferred, so this reader is tolerant: timing at the top level or
 * in a nested object, a chunk's payload under `data`, `chunk`, `payload` (or the chunk itself), missing
 * fields. The wire framing is synthesised from the parsed chunks and the trace says so
 * (`http.synthesized: true`). Pure: no I/O; never throws (see {@link convertLegacyTrace}).
 */
import { createHash } from 'node:crypto';
import { TraceForgeError } from '../errors.js';
import { oneLine, shortText } from '../util/one-line.js';
import { epochMs, eventFor, isObj, keptExtra, num, readLegacyChunk, sseBlock, type LegacyChunk } from './legacy-chunks.js';
import { protocolNamed, protocolOf, protocolOfPayload, textDefault } from './providers/registry.js';
import { detectProvider, reconstruct, summarize } from './reconstruct.js';
import { redactHeaderPairs, redactHeaderRecord, redactString, redactValue, requestRedaction } from './redact.js';
import { TRACE_SCHEMA_VERSION, type Provider, type Trace, type TraceChunk } from './types.js';
import { findTraceProblems } from './validate.js';

/** True for an object whose `schema_version` is a "1.x[.y]" string: the first TraceForge's traces. */
export function isLegacyTrace(v: unknown): v is Record<string, unknown> {
  return isObj(v) && typeof v.schema_version === 'string' && /^1(?:\.\d+){0,2}$/.test(v.schema_version.trim());
}

export interface ConvertOptions {
  /**
   * Only the listing row will be read (`trace list`): the bodies (request, response, chunk payloads, extra
   * fields) are not redacted, which is most of the cost. Never use the result to show or write bodies.
   */
  rowOnly?: boolean;
}

export type LegacyResult = { ok: true; trace: Trace } | { ok: false; error: string };

/** Where timing fields may sit: the top level, or an object the first TraceForge may have grouped them in. */
const TIMING_HOLDERS = ['streaming', 'metrics', 'stream_metrics', 'streaming_metrics', 'timing', 'timings', 'performance', 'stats', 'metadata'];
/** Top-level fields carried over whole; the rest go to `legacy.fields`, so an upgrade loses nothing. */
const MAPPED = new Set(['schema_version', 'id', 'timestamp', 'provider', 'model', 'endpoint', 'request', 'response', 'chunks', 'duration_ms', 'status', 'stream', 'first_chunk_latency_ms', 'stream_duration_ms', 'total_chunks', 'first_content_latency_ms']);
const STATUS_TEXT: Record<number, string> = { 200: 'OK', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 408: 'Request Timeout', 413: 'Payload Too Large', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout', 529: 'Overloaded' };
const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE_RE = /^[\t\x20-\x7e\x80-\xff]*$/;
const DROPPED_HEADERS = new Set(['content-type', 'content-length', 'content-encoding', 'transfer-encoding', 'connection', 'keep-alive']);

const round3 = (n: number) => Math.round(n * 1000) / 1000;
const nonNeg = (n: number | undefined) => (n !== undefined && n >= 0 ? round3(n) : undefined);

function pickNumber(v: Record<string, unknown>, keys: readonly string[]): number | undefined {
  const holders = [v, ...TIMING_HOLDERS.map((k) => v[k]).filter(isObj)];
  for (const h of holders) for (const k of keys) {
    const n = nonNeg(num(h[k]));
    if (n !== undefined) return n;
  }
  return undefined;
}

/** `https://api.openai.com/v1/chat/completions?x=1` -> path `/v1/chat/completions?x=1`, origin; a bare path as is. */
function splitEndpoint(s: unknown): { url?: string; origin?: string } {
  if (typeof s !== 'string' || s.trim() === '') return {};
  const t = s.trim();
  if (/^https?:\/\//i.test(t)) {
    try {
      const u = new URL(t);
      return { url: `${u.pathname}${u.search}`, origin: u.origin };
    } catch {
      return {};
    }
  }
  if (/\s/.test(t)) return {};
  return { url: t.startsWith('/') ? t : `/${t}` };
}

function parseMaybeJson(v: unknown): unknown {
  if (typeof v !== 'string' || !/^\s*[[{]/.test(v)) return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
}

function stableId(v: Record<string, unknown>): string {
  let text: string;
  try {
    text = JSON.stringify(v) ?? '';
  } catch {
    text = String(Object.keys(v));
  }
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

/**
 * Convert a schema "1.0.0" trace object to our Trace, or say in one line why it cannot be. Never throws.
 * @example
 * const r = convertLegacyTrace(JSON.parse(text), 'old.json');
 * if (r.ok) r.trace.http.synthesized; // true
 */
export function convertLegacyTrace(value: unknown, source = 'trace', opts: ConvertOptions = {}): LegacyResult {
  const name = shortText(source, 120);
  try {
    if (!isLegacyTrace(value)) return { ok: false, error: `${name}: not a schema 1.0.0 trace (schema_version must be "1.0.0")` };
    const trace = convert(value, opts.rowOnly === true);
    const problems = findTraceProblems(trace);
    if (problems.length > 0) return { ok: false, error: `${name}: schema 1.0.0 trace could not be read: ${problems[0]!.path} ${problems[0]!.problem}` };
    return { ok: true, trace };
  } catch (e) {
    return { ok: false, error: oneLine(`${name}: schema 1.0.0 trace could not be read: ${e instanceof Error ? e.message : String(e)}`).slice(0, 300) };
  }
}

/** convertLegacyTrace, throwing E_TRACE_INVALID with its one-line reason. */
export function legacyToTrace(value: unknown, source: string): Trace {
  const r = convertLegacyTrace(value, source);
  if (!r.ok) throw new TraceForgeError('E_TRACE_INVALID', r.error);
  return r.trace;
}

class Unreadable extends Error {}

/** A time Date can hold (±8.64e15 ms); a missing or absurd one becomes the epoch, so the trace still reads (and lists last). */
const validTime = (ms: number | undefined): number => (ms !== undefined && Math.abs(ms) <= 8.64e15 ? ms : 0);

function convert(v: Record<string, unknown>, rowOnly: boolean): Trace {
  const fields: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (!MAPPED.has(k)) fields[k] = x;

  // The request: the JSON body itself, or a wrapper with body, headers, method and url.
  let request: unknown = v.request;
  const headers: Record<string, string> = {};
  let method = 'POST';
  let reqUrl: unknown;
  if (isObj(request) && 'body' in request && ('headers' in request || 'method' in request || 'url' in request)) {
    if (isObj(request.headers)) for (const [k, x] of Object.entries(request.headers)) if (typeof x === 'string' || typeof x === 'number') headers[k.toLowerCase()] = String(x);
    if (typeof request.method === 'string' && TOKEN_RE.test(request.method)) method = request.method.toUpperCase();
    reqUrl = request.url;
    request = request.body;
  }
  request = parseMaybeJson(request ?? null);
  if (typeof request !== 'object') request = null;

  // The response: the body itself, or a wrapper with status, headers and body.
  let response: unknown = v.response;
  let status = num(v.status_code) ?? num(v.http_status) ?? (typeof v.status === 'number' || /^\d+$/.test(String(v.status)) ? num(v.status) : undefined);
  let respHeaders: Array<[string, string]> = [];
  if (isObj(response) && 'body' in response && ('status' in response || 'headers' in response || 'status_code' in response)) {
    status ??= num(response.status) ?? num(response.status_code);
    if (isObj(response.headers)) for (const [k, x] of Object.entries(response.headers)) if (typeof x === 'string' || typeof x === 'number') respHeaders.push([k, String(x)]);
    response = response.body;
  }
  response = parseMaybeJson(response);

  // Chunks, read loosely; a chunk that cannot be one is an error naming it.
  if (v.chunks !== undefined && v.chunks !== null && !Array.isArray(v.chunks)) throw new Unreadable('$.chunks must be a list');
  const read: LegacyChunk[] = ((v.chunks as unknown[] | null | undefined) ?? []).map((c, i) => {
    const r = readLegacyChunk(c);
    if (typeof r === 'string') throw new Unreadable(`$.chunks[${i}] ${r}`);
    return r;
  });

  const ep = splitEndpoint(v.endpoint ?? v.url ?? v.path ?? reqUrl);
  const fromEndpoint = ep.url ? detectProvider(ep.url.split('?')[0]!, headers, { upstream: ep.origin }) : 'unknown';
  const shaped = read.map((c) => protocolOfPayload(c.payload)?.provider).find((p) => p !== undefined);
  let provider: Provider = fromEndpoint !== 'unknown' ? fromEndpoint : shaped ?? protocolNamed(v.provider)?.provider ?? 'unknown';
  const textOnly = read.length > 0 && read.every((c) => c.payload === undefined || c.payload === '[DONE]');
  // Bare text pieces of a stream whose protocol cannot make them up (unknown, or an event sequence too rich
  // to invent) replay as the text default's events: OpenAI chat chunks, the most common client.
  if (textOnly && !protocolOf(provider).legacy?.textEvent) provider = textDefault().provider;
  const module = protocolOf(provider);
  const hints = module.legacy;
  const model = typeof v.model === 'string' ? v.model : isObj(request) && typeof request.model === 'string' ? request.model : null;
  const id = (typeof v.id === 'string' || typeof v.id === 'number') && /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(String(v.id)) ? String(v.id) : stableId(v);

  const explicitStream = [v.stream, v.streaming, v.is_stream, isObj(request) ? request.stream : undefined].find((x) => typeof x === 'boolean');
  const stream = read.length > 0 || explicitStream === true || isObj(v.streaming);
  const path = ep.url ?? hints?.path(model, stream) ?? '/';
  const endpoint = path.split('?')[0]!;
  // Only text framings can be synthesised: a binary event stream's messages become SSE events.
  const framing = !stream ? 'raw' : module.framing === 'ndjson' ? 'ndjson' : 'sse';

  // Secrets the request carried never reach what we show or write (the first TraceForge may have kept them).
  const secrets = requestRedaction({ headers, url: path, body: request === null ? '' : JSON.stringify(request) });
  const redactBody = <T>(x: T): T => (rowOnly ? x : redactValue(x, secrets));

  // Timing: each gap from delta_ms, else from per-chunk timestamps, else 0; the first chunk has 0.
  let ttfb = pickNumber(v, ['first_chunk_latency_ms', 'ttfb_ms', 'time_to_first_chunk_ms', 'first_byte_ms']);
  const deltas = read.map((c, i) => {
    const prev = read[i - 1]?.at;
    const d = nonNeg(c.delta) ?? (c.at !== undefined && prev !== undefined ? nonNeg(c.at - prev) : undefined) ?? 0;
    return d;
  });
  if (deltas.length > 0) {
    if (ttfb === undefined && deltas[0]! > 0) ttfb = deltas[0];
    deltas[0] = 0;
  }

  // Payloads for bare text pieces, with the lifecycle events the protocol's SDK needs around them.
  type Out = { delta: number; payload: unknown; event?: string; extra?: Record<string, unknown> };
  const textEvent = hints?.textEvent ?? textDefault().legacy!.textEvent!;
  let out: Out[] = read.map((c, i) => ({ delta: deltas[i]!, payload: c.payload ?? textEvent(c.text ?? '', model, id), ...(c.event !== undefined ? { event: c.event } : {}), ...(c.extra ? { extra: c.extra } : {}) }));
  const around = stream ? hints?.complete?.(out.map((o) => o.payload), read.some((c) => c.text !== undefined), model, id) : undefined;
  if (around) {
    const at0 = (p: unknown): Out => ({ delta: 0, payload: p });
    out = [...around.before.map(at0), ...out, ...around.after.map(at0)];
  }
  const eol = hints?.eol ?? '\n';
  const chunks: TraceChunk[] = out.map((o) => {
    const data = redactBody(o.payload);
    const event = eventFor(module.namedEvents === true, { event: o.event, payload: data });
    const raw = framing === 'ndjson' ? `${typeof data === 'string' ? data : JSON.stringify(data) ?? 'null'}\n` : sseBlock(data, event, eol);
    return { delta_ms: o.delta, ...(event !== undefined ? { event } : {}), data, raw, ...keptExtra(o.extra ? redactBody(o.extra) : undefined) };
  });

  const gapSum = round3(chunks.slice(1).reduce((s, c) => s + c.delta_ms, 0));
  const streamDuration = stream ? pickNumber(v, ['stream_duration_ms']) ?? gapSum : undefined;
  const givenDuration = pickNumber(v, ['duration_ms', 'total_duration_ms', 'latency_ms', 'elapsed_ms', 'total_time_ms']);
  // No TTFB given: what the total leaves before the stream (or the whole call for a body), so replay keeps the recorded length.
  if (ttfb === undefined && givenDuration !== undefined) ttfb = round3(Math.max(0, givenDuration - (streamDuration ?? 0)));
  const duration = givenDuration ?? round3((ttfb ?? 0) + (streamDuration ?? 0));
  const errorValue = v.error ?? (isObj(response) ? response.error : undefined);
  const statusWord = typeof v.status === 'string' ? v.status.toLowerCase() : '';
  const httpStatus = status !== undefined && Number.isInteger(status) && status >= 100 && status <= 599 ? status : /err|fail/.test(statusWord) || (errorValue !== undefined && errorValue !== null) ? 500 : 200;
  const failed = httpStatus >= 400 || /err|fail/.test(statusWord);

  // The complete response: rebuilt from the chunks when the trace has none, or when its own says less.
  // Rebuilt under the provider's own path when the trace's path does not name it (a proxy prefix, a guess overruled above).
  const rec = reconstruct({ endpoint: detectProvider(endpoint, headers) === provider ? endpoint : (hints?.path(model, stream).split('?')[0] ?? endpoint), url: path, request, requestHeaders: headers, status: httpStatus, stream, chunks, body: stream ? undefined : response });
  if (stream) {
    // What a client assembles from the chunks is what a generated test asserts: the trace's own response must agree with it.
    const key = (r: unknown) => {
      const s = summarize(provider, r);
      return JSON.stringify([s.text, s.tool_calls.map((c) => [c.name, c.arguments])]);
    };
    const rebuilt = key(rec.response);
    if (response === undefined || response === null || (rebuilt !== key(null) && rebuilt !== key(response))) {
      if (response !== undefined && response !== null) fields.response = response;
      response = rec.response;
    }
  }
  response = redactBody(response ?? null);

  const contentType = framing === 'sse' ? 'text/event-stream; charset=utf-8' : framing === 'ndjson' ? 'application/x-ndjson' : typeof response === 'string' ? 'text/plain; charset=utf-8' : 'application/json';
  respHeaders = respHeaders.filter(([k, x]) => TOKEN_RE.test(k) && FIELD_VALUE_RE.test(x) && !DROPPED_HEADERS.has(k.toLowerCase()));
  const bodyText = stream || response === null ? undefined : typeof response === 'string' ? response : JSON.stringify(response);
  const firstByte = (stream ? chunks.length > 0 : bodyText !== undefined && bodyText !== '') ? ttfb ?? 0 : undefined;

  const trace: Trace = {
    schema_version: TRACE_SCHEMA_VERSION,
    id,
    timestamp: new Date(validTime(epochMs(v.timestamp ?? v.created_at ?? v.started_at ?? v.time))).toISOString(),
    endpoint: redactString(endpoint, secrets),
    request: redactBody(request),
    response,
    metadata: {
      duration_ms: duration,
      status: failed ? 'error' : 'success',
      model: model ?? rec.model,
      provider,
      stream,
      ...(ep.origin ? { upstream: ep.origin } : {}),
    },
    http: {
      method,
      url: redactString(path, secrets),
      request_headers: redactHeaderRecord(headers, secrets),
      status: httpStatus,
      status_message: STATUS_TEXT[httpStatus] ?? '',
      response_headers: [['content-type', contentType], ...redactHeaderPairs(respHeaders, secrets)],
      framing,
      headers_ms: ttfb ?? 0,
      ...(firstByte !== undefined ? { first_byte_ms: firstByte } : {}),
      ...(bodyText !== undefined ? { body: [{ delta_ms: 0, raw: bodyText }] } : {}),
      outcome: 'complete',
      ...(failed && errorValue !== undefined && errorValue !== null ? { error: redactString(oneLine(typeof errorValue === 'string' ? errorValue : JSON.stringify(errorValue) ?? ''), secrets).slice(0, 500) } : {}),
      synthesized: true,
    },
  };
  if (stream) {
    trace.chunks = chunks;
    trace.total_chunks = chunks.length;
    trace.stream_duration_ms = streamDuration;
    trace.first_chunk_latency_ms = ttfb ?? 0;
    const fcl = pickNumber(v, ['first_content_latency_ms', 'first_token_latency_ms', 'time_to_first_token_ms']);
    if (fcl !== undefined) trace.first_content_latency_ms = fcl;
    else if (rec.firstContentIndex !== null && chunks[rec.firstContentIndex]) {
      trace.first_content_latency_ms = round3((ttfb ?? 0) + chunks.slice(1, rec.firstContentIndex + 1).reduce((s, c) => s + c.delta_ms, 0));
    }
  }
  trace.legacy = { schema_version: String(v.schema_version).trim(), ...(Object.keys(fields).length > 0 ? { fields: redactBody(fields) } : {}) };
  return trace;
}
