import type { Frame, Framing } from '../stream/frame.js';
import { bytesToStored, concatBytes, storedToBytes, type StoredBytes } from '../stream/bytes.js';
import { withEventStreamPayload } from '../stream/eventstream-encoder.js';
import { EMBEDDED } from './providers/registry.js';
import { detectProvider, reconstruct } from './reconstruct.js';
import {
  redactBytes,
  redactForm,
  redactHeaderPairs,
  redactHeaderRecord,
  redactString,
  redactUrl,
  redactValue,
  forResponse,
  requestRedaction,
  toRedaction,
  type RedactOptions,
  type RedactionInput,
} from './redact.js';
import { redactAcross } from './redact-across.js';
import { mcpMarker } from '../mcp/marker.js';
import { redactPieces } from './redact-pieces.js';
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
    /** A compressed stream: the reads exactly as received, for replay (see {@link keepEncodedReads}). */
    encodedReads?: Array<{ raw: Uint8Array; atMs: number }>;
  };
  /** Frames (SSE events, NDJSON lines, or raw reads) with the time their last byte arrived. */
  frames: Array<{ frame: Frame; atMs: number }>;
  firstByteMs?: number;
  /** Arrival at the recorder -> end of the response. */
  durationMs: number;
  outcome: Outcome;
  error?: string;
  /** Frames the recorder already prepared as they arrived (see {@link prepareFrame}). */
  prepared?: PreparedFrame[];
  /** The request's redaction, when already collected (see {@link requestSecrets}). */
  secrets?: RedactionInput;
  /** The user's own redaction rules (extra headers, body fields, patterns). */
  redact?: RedactOptions;
  /** The worst event-loop delay of the stamping thread while the call was in flight (see TraceTiming). */
  maxLoopDelayMs?: number;
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
 * One frame already turned into what the trace stores: parsed, redacted, bytes as text or base64.
 * The recorder prepares each frame as it arrives (see {@link prepareFrame}), so finishing a trace is
 * cheap and never stalls the other streams the recorder is forwarding.
 */
export interface PreparedFrame {
  /** Offset in ms, rounded to microseconds. */
  at: number;
  raw: string;
  raw_encoding?: 'base64';
  /** Streams only: the chunk's parsed fields (everything but `delta_ms`). */
  chunk?: TraceChunk;
  /** Non-streams: the text of this read, for reconstructing the body (empty when base64). */
  text?: string;
}

/**
 * The rules and exact secret values of a request, to scrub from everything recorded for it. When the
 * call speaks a known LLM protocol (by its path, headers and request body), its response is a model's
 * output and gets the response rules (see createRedaction): a field name alone is no secret there.
 */
export function requestSecrets(call: Pick<CapturedCall, 'requestHeaders' | 'url'> & Partial<Pick<CapturedCall, 'requestBody' | 'redact'>>) {
  const body = call.requestBody === undefined ? '' : decoder.decode(call.requestBody);
  const request = body === '' ? null : parseMaybeJson(body);
  const modelOutput = detectProvider(call.url.split('?')[0]!, headerRecord(call.requestHeaders), { request }) !== 'unknown';
  return requestRedaction({ headers: call.requestHeaders, url: call.url, body: call.requestBody }, call.redact, modelOutput);
}

const asBase64 = (b: Uint8Array): StoredBytes => ({ raw: Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64'), raw_encoding: 'base64' });

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);

/**
 * Redact an event-stream message. Replacing bytes inside it would change its length without its
 * prelude and CRCs, so a replay would send a corrupt message: it is re-encoded around the redacted
 * payload instead. If a secret is still in the re-encoded bytes (in a header), the byte-wise
 * redaction stands: a corrupt message rather than a leaked secret.
 */
function redactMessage(frame: Frame, secrets: RedactionInput): Uint8Array {
  const bytes = redactBytes(frame.raw, secrets);
  if (sameBytes(bytes, frame.raw) || frame.data === undefined) return bytes;
  const rebuilt = withEventStreamPayload(frame.raw, redactString(frame.data, secrets));
  return rebuilt && sameBytes(redactBytes(rebuilt, secrets), rebuilt) ? rebuilt : bytes;
}

/**
 * A payload inside the payload (Bedrock InvokeModel's base64 `bytes`, see the protocol modules'
 * `embedded` hints) is text the rules cannot see where it stands: it is opened, redacted like any
 * text, and, only when that changed it, closed again and the message re-encoded around it with its
 * lengths and CRCs recomputed. Undefined when nothing changed, so such a stream stays byte-identical.
 */
function redactEmbedded(data: unknown, message: Uint8Array, secrets: RedactionInput): { data: unknown; message: Uint8Array } | undefined {
  for (const hint of EMBEDDED) {
    const text = hint.open(data);
    if (text === undefined) continue;
    const redacted = redactString(text, secrets);
    if (redacted === text) return undefined;
    const next = hint.close(data, redacted);
    const rebuilt = withEventStreamPayload(message, JSON.stringify(next));
    return rebuilt ? { data: next, message: rebuilt } : undefined;
  }
  return undefined;
}

/**
 * A compressed stream (content-encoding gzip, deflate or br; see call-assembler.ts headOf) is kept twice:
 * `chunks` hold the decoded events (raw = their decoded bytes) for the view, reconstruction and
 * redaction, and `http.body` holds the compressed reads exactly as received, which replay sends (with
 * the recorded content-encoding) at their own times. Two lists because compressed reads and events do
 * not line up: one read may complete several events and the gzip trailer completes none, so compressed
 * bytes inside chunks would make empty or event-less chunks and break "one chunk per event".
 * If redaction changed an event, the compressed reads still carry the secret: they are dropped and
 * replay sends the redacted events uncompressed, without content-encoding (no longer byte-exact).
 */
function keepEncodedReads(trace: Trace, reads: ReadonlyArray<{ raw: Uint8Array; atMs: number }>, frames: CapturedCall['frames'], chunks: readonly TraceChunk[]): void {
  // A spilled call keeps no frames here to compare with; its reads are kept as received.
  const redacted = frames.length === chunks.length && chunks.some((c, i) => c.raw !== bytesToStored(frames[i]!.frame.raw).raw);
  if (redacted) {
    trace.http.response_headers = trace.http.response_headers.filter(([k]) => !/^content-(encoding|length)$/i.test(k));
    return;
  }
  let prev = 0;
  trace.http.body = reads.map((r, i) => {
    const at = round3(r.atMs);
    const delta = i === 0 ? 0 : Math.max(0, round3(at - prev));
    prev = i === 0 ? at : prev + delta;
    const s = bytesToStored(r.raw);
    return s.raw_encoding ? { delta_ms: delta, raw: s.raw, raw_encoding: s.raw_encoding } : { delta_ms: delta, raw: s.raw };
  });
}

/** A read that is already redacted (see redact-pieces.ts), in stored form. */
export function preparedRead(bytes: Uint8Array, atMs: number): PreparedFrame {
  const stored = bytesToStored(bytes);
  const p: PreparedFrame = { at: round3(atMs), raw: stored.raw, text: stored.raw_encoding ? '' : stored.raw };
  if (stored.raw_encoding) p.raw_encoding = stored.raw_encoding;
  return p;
}

/** Parse and redact one frame. Pure; `stream` is true for SSE and NDJSON framing. */
/** A frame's data as the provider sent it, parsed as its event is (before any redaction). */
export const frameData = (frame: Frame): unknown => (frame.data === undefined ? undefined : parseMaybeJson(frame.data));

export function prepareFrame(frame: Frame, atMs: number, stream: boolean, rules: RedactionInput): PreparedFrame {
  // A frame is what the provider said: the response's rules, the same for `data` and `raw`.
  const secrets = forResponse(rules);
  // A binary frame (an event-stream message) is base64 even when its bytes happen to be valid UTF-8.
  const store = frame.binary ? asBase64 : bytesToStored;
  const text = store(frame.raw);
  // Bytes that are not UTF-8 are still redacted, byte-wise, before they are stored as base64.
  const stored = text.raw_encoding ? store(frame.binary ? redactMessage(frame, secrets) : redactBytes(frame.raw, secrets)) : text;
  const raw = stored.raw_encoding ? stored.raw : redactString(stored.raw, secrets);
  const p: PreparedFrame = { at: round3(atMs), raw };
  if (stored.raw_encoding) p.raw_encoding = stored.raw_encoding;
  if (!stream) {
    p.text = stored.raw_encoding ? '' : raw;
    return p;
  }
  const c: TraceChunk = { delta_ms: 0, raw: '' };
  if (frame.event !== undefined) c.event = redactString(frame.event, secrets);
  if (frame.id !== undefined) c.id = redactString(frame.id, secrets);
  if (frame.retry !== undefined) c.retry = frame.retry;
  if (frame.comments?.length) c.comments = frame.comments.map((x) => redactString(x, secrets));
  if (frame.data !== undefined) c.data = redactValue(parseMaybeJson(frame.data), secrets);
  let kept = raw;
  if (frame.binary && stored.raw_encoding && c.data !== undefined) {
    const opened = redactEmbedded(c.data, Buffer.from(raw, 'base64'), secrets);
    if (opened) [c.data, kept] = [opened.data, Buffer.from(opened.message).toString('base64')];
  }
  // raw last, after the parsed fields, so the JSON reads top-down like the event.
  delete (c as { raw?: string }).raw;
  c.raw = kept;
  if (stored.raw_encoding) c.raw_encoding = stored.raw_encoding;
  if (frame.partial) c.partial = true;
  p.chunk = c;
  return p;
}

/**
 * Turn a captured call into a redacted, self-contained trace. Deltas are derived from rounded
 * absolute offsets so their running sum reproduces each offset exactly: no accumulated rounding.
 * Frames in `prepared` (same order as `frames`, possibly fewer) are used as they are.
 */
export function buildTrace(call: CapturedCall): Trace {
  const secrets = call.secrets ? toRedaction(call.secrets) : requestSecrets(call);
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
  let prepared = call.prepared ?? [];
  // Reads of a raw body are redacted together so a secret cut by a read boundary is still found.
  const said = forResponse(secrets);
  if (!stream && prepared.length < call.frames.length) {
    const reads = redactPieces(call.frames.map((f) => f.frame.raw), said);
    prepared = reads.map((b, i) => preparedRead(b, call.frames[i]!.atMs));
  }
  const pieces = call.frames.map(({ frame, atMs }, i) => {
    const p = prepared[i] ?? prepareFrame(frame, atMs, stream, secrets);
    const delta = i === 0 ? 0 : Math.max(0, round3(p.at - prev));
    prev = i === 0 ? p.at : prev + delta;
    return { ...p, delta };
  });

  const chunks: TraceChunk[] | undefined = stream ? pieces.map((p) => ({ ...p.chunk!, delta_ms: p.delta })) : undefined;
  // A secret split across events: the recorder redacts across events as they arrive; frames prepared here were not.
  if (chunks && prepared.length < call.frames.length) redactAcross(chunks, said, framing, call.frames.map(({ frame }) => () => frameData(frame)));
  const body: BodyRead[] | undefined = stream
    ? undefined
    : pieces.map((p) => (p.raw_encoding ? { delta_ms: p.delta, raw: p.raw, raw_encoding: p.raw_encoding } : { delta_ms: p.delta, raw: p.raw }));

  // A read cut inside a UTF-8 character is stored as base64; the body as a whole may still be text.
  const bodyText = stream
    ? ''
    : pieces.some((p) => p.raw_encoding)
      ? new TextDecoder().decode(concatBytes(pieces.map((p) => storedToBytes(p.raw, p.raw_encoding))))
      : pieces.map((p) => p.text ?? '').join('');
  const requestHeaders = headerRecord(call.requestHeaders);
  const rec = reconstruct({
    endpoint,
    url,
    request,
    requestHeaders,
    upstream: call.upstream,
    contentType: res?.rawHeaders.find(([k]) => k.toLowerCase() === 'content-type')?.[1],
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
    response: redactValue(rec.response, said),
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
    const text = bytesToStored(call.requestBody);
    const stored = text.raw_encoding ? bytesToStored(redactBytes(call.requestBody, secrets)) : text;
    const form = /x-www-form-urlencoded/i.test(requestHeaders['content-type'] ?? '');
    trace.http.request_body_raw = stored.raw_encoding ? stored.raw : redactString(form ? redactForm(stored.raw, secrets) : stored.raw, secrets);
    if (stored.raw_encoding) trace.http.request_body_encoding = 'base64';
  }
  if (call.firstByteMs !== undefined) trace.http.first_byte_ms = round3(call.firstByteMs);
  if (body) trace.http.body = body;
  if (chunks && res?.encodedReads) keepEncodedReads(trace, res.encodedReads, call.frames, chunks);
  const error = call.error ?? rec.error;
  if (error) trace.http.error = redactString(error, said);
  if (chunks) {
    trace.chunks = chunks;
    trace.total_chunks = chunks.length;
    const first = pieces[0]?.at ?? 0;
    const last = pieces[pieces.length - 1]?.at ?? first;
    trace.stream_duration_ms = round3(last - first);
    trace.first_chunk_latency_ms = round3(call.firstByteMs ?? first);
    if (rec.firstContentIndex !== null && pieces[rec.firstContentIndex]) trace.first_content_latency_ms = pieces[rec.firstContentIndex]!.at;
  }
  const mcp = mcpMarker({ method: call.method, request, requestHeaders: trace.http.request_headers, responseHeaders: trace.http.response_headers });
  if (mcp) trace.metadata.mcp = mcp;
  if (call.maxLoopDelayMs !== undefined) trace.timing = { max_loop_delay_ms: round3(call.maxLoopDelayMs) };
  return trace;
}
