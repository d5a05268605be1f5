import type { Frame, Framing } from '../stream/frame.js';
import { bytesToStored } from '../stream/bytes.js';
import { reconstruct } from './reconstruct.js';
import { collectSecrets, redactHeaderPairs, redactHeaderRecord, redactString, redactUrl, redactValue } from './redact.js';
import { TRACE_SCHEMA_VERSION, type BodyRead, type Outcome, type Trace, type TraceChunk } from './types.js';

/** What the recorder saw of one call, before it becomes a trace. Times are ms relative to `t0` (request left for upstream). */
export interface CapturedCall {
  id: string;
  /** ISO time the request arrived at the recorder. */
  timestamp: string;
  method: string;
  /** Path and query as the app sent them. */
  url: string;
  requestHeaders: Record<string, string | string[] | undefined>;
  requestBody: Uint8Array;
  /** Base URL the call was forwarded to. */
  upstream: string;
  response?: {
    status: number;
    statusMessage: string;
    rawHeaders: Array<[string, string]>;
    headersMs: number;
    framing: Framing;
  };
  /** Frames (SSE events, NDJSON lines, or raw reads) with the time their last byte arrived. */
  frames: Array<{ frame: Frame; atMs: number }>;
  firstByteMs?: number;
  /** Arrival at the recorder -> end of the response. */
  durationMs: number;
  outcome: Outcome;
  error?: string;
}

const decoder = new TextDecoder();

/** Keep microseconds: enough for sub-ms replay, short enough to read. */
const round3 = (n: number): number => Math.round(n * 1000) / 1000;

function parseMaybeJson(text: string): unknown {
  const t = text.trim();
  if (t === '' || !(t.startsWith('{') || t.startsWith('[') || t.startsWith('"') || /^-?\d/.test(t) || ['true', 'false', 'null'].includes(t))) return text;
  try {
    return JSON.parse(t);
  } catch {
    return text;
  }
}

function headerRecord(headers: CapturedCall['requestHeaders']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/**
 * Turn a captured call into a redacted, self-contained trace. Deltas are derived from rounded
 * absolute offsets so their running sum reproduces each offset exactly: no accumulated rounding.
 */
export function buildTrace(call: CapturedCall): Trace {
  const secrets = collectSecrets(call.requestHeaders, call.url);
  const url = redactUrl(call.url, secrets);
  const endpoint = url.split('?')[0]!;
  const requestText = decoder.decode(call.requestBody);
  const parsedRequest = requestText === '' ? null : parseMaybeJson(requestText);
  const requestIsJson = parsedRequest !== null && typeof parsedRequest !== 'string';
  const request = requestIsJson ? redactValue(parsedRequest, secrets) : null;

  const res = call.response;
  const framing: Framing = res?.framing ?? 'raw';
  const stream = framing !== 'raw';
  let prev = 0;
  const pieces = call.frames.map(({ frame, atMs }, i) => {
    const at = round3(atMs);
    const delta = i === 0 ? 0 : Math.max(0, round3(at - prev));
    prev = i === 0 ? at : prev + delta;
    const stored = bytesToStored(frame.raw);
    const raw = stored.raw_encoding ? stored.raw : redactString(stored.raw, secrets);
    return { frame, delta, raw, raw_encoding: stored.raw_encoding, redacted: raw !== stored.raw, at };
  });

  const chunks: TraceChunk[] | undefined = stream
    ? pieces.map((p) => {
        const c: TraceChunk = { delta_ms: p.delta, raw: '' };
        const f = p.frame;
        if (f.event !== undefined) c.event = redactString(f.event, secrets);
        if (f.id !== undefined) c.id = redactString(f.id, secrets);
        if (f.retry !== undefined) c.retry = f.retry;
        if (f.comments?.length) c.comments = f.comments.map((s) => redactString(s, secrets));
        if (f.data !== undefined) c.data = redactValue(parseMaybeJson(f.data), secrets);
        // raw last, after the parsed fields, so the JSON reads top-down like the event.
        delete (c as { raw?: string }).raw;
        c.raw = p.raw;
        if (p.raw_encoding) c.raw_encoding = p.raw_encoding;
        if (f.partial) c.partial = true;
        return c;
      })
    : undefined;
  const body: BodyRead[] | undefined = stream
    ? undefined
    : pieces.map((p) => (p.raw_encoding ? { delta_ms: p.delta, raw: p.raw, raw_encoding: p.raw_encoding } : { delta_ms: p.delta, raw: p.raw }));

  const bodyText = stream ? '' : pieces.map((p) => (p.raw_encoding ? '' : p.raw)).join('');
  const requestHeaders = headerRecord(call.requestHeaders);
  const rec = reconstruct({
    endpoint,
    url,
    request,
    requestHeaders,
    status: res?.status ?? 502,
    stream,
    chunks: chunks ?? [],
    body: stream ? undefined : parseMaybeJson(bodyText),
  });

  const failed = call.outcome !== 'complete' || (res?.status ?? 502) >= 400 || rec.error !== undefined;
  const trace: Trace = {
    schema_version: TRACE_SCHEMA_VERSION,
    id: call.id,
    timestamp: call.timestamp,
    endpoint,
    request,
    response: redactValue(rec.response, secrets),
    metadata: {
      duration_ms: round3(call.durationMs),
      status: failed ? 'error' : 'success',
      model: rec.model,
      provider: rec.provider,
      stream,
      upstream: redactUrl(call.upstream, secrets),
    },
    http: {
      method: call.method,
      url,
      request_headers: redactHeaderRecord(requestHeaders, secrets),
      status: res?.status ?? 502,
      status_message: res?.statusMessage ?? '',
      response_headers: redactHeaderPairs(res?.rawHeaders ?? [], secrets),
      framing,
      headers_ms: round3(res?.headersMs ?? 0),
      outcome: call.outcome,
    },
  };
  if (!requestIsJson && call.requestBody.length > 0) {
    const stored = bytesToStored(call.requestBody);
    trace.http.request_body_raw = stored.raw_encoding ? stored.raw : redactString(stored.raw, secrets);
    if (stored.raw_encoding) trace.http.request_body_encoding = 'base64';
  }
  if (call.firstByteMs !== undefined) trace.http.first_byte_ms = round3(call.firstByteMs);
  if (body) trace.http.body = body;
  const error = call.error ?? rec.error;
  if (error) trace.http.error = redactString(error, secrets);
  if (chunks) {
    trace.chunks = chunks;
    trace.total_chunks = chunks.length;
    const first = pieces[0]?.at ?? 0;
    const last = pieces[pieces.length - 1]?.at ?? first;
    trace.stream_duration_ms = round3(last - first);
    trace.first_chunk_latency_ms = round3(call.firstByteMs ?? first);
    if (rec.firstContentIndex !== null && pieces[rec.firstContentIndex]) trace.first_content_latency_ms = pieces[rec.firstContentIndex]!.at;
  }
  return trace;
}
