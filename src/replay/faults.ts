import { TraceForgeError } from '../errors.js';
import { MAX_TIMER_MS } from '../util/real-timers.js';
import { truncateEventStreamPayload } from '../stream/eventstream-encoder.js';
import { errorEvent, statusBody } from '../trace/providers/registry.js';
import type { Provider, Trace } from '../trace/types.js';
import { planPlayback, type Playback, type PlannedPiece } from './plan.js';

/**
 * Deterministic faults placed on the recorded timeline. Chunks are counted from 1 as they were
 * recorded (SSE events, NDJSON lines, or the raw reads of a non-streamed body); `0` means "before
 * the first chunk". A fault whose chunk does not exist in the interaction does nothing.
 */
export type Fault = (
  | { kind: 'drop-after'; chunk: number }
  | { kind: 'stall'; chunk: number; ms: number }
  | { kind: 'status'; status: number; retryAfter?: string }
  | { kind: 'error-event'; after: number }
  | { kind: 'truncate-json'; chunk: number }
) & {
  /** Only the n-th request the server receives (from 1); every request when absent. */
  request?: number;
};

const USAGE =
  'use drop-after=N, stall=K:MS, status=CODE[:RETRY_AFTER], error-event=N or truncate-json=N, optionally followed by @REQUEST (e.g. status=429:1@1)';

function int(text: string | undefined, what: string, spec: string, min: number, max = Number.MAX_SAFE_INTEGER, why = ''): number {
  const n = Number(text);
  if (text === undefined || text === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new TraceForgeError('E_USAGE', `fault "${spec}": ${what} must be an integer from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ''}${why}, got "${text ?? ''}"; ${USAGE}`);
  }
  return n;
}

/**
 * Parse one `--fault` value.
 * @example
 * parseFault('drop-after=3');   // { kind: 'drop-after', chunk: 3 }
 * parseFault('stall=5:2000');   // { kind: 'stall', chunk: 5, ms: 2000 }
 * parseFault('status=429:1@1'); // { kind: 'status', status: 429, retryAfter: '1', request: 1 }
 */
export function parseFault(spec: string): Fault {
  const at = spec.lastIndexOf('@');
  const body = at >= 0 ? spec.slice(0, at) : spec;
  const request = at >= 0 ? int(spec.slice(at + 1), 'the request number after @', spec, 1) : undefined;
  const eq = body.indexOf('=');
  const name = eq >= 0 ? body.slice(0, eq).trim() : body.trim();
  const value = eq >= 0 ? body.slice(eq + 1).trim() : undefined;
  const parts = value?.split(':') ?? [];
  let fault: Fault;
  switch (name) {
    case 'drop-after':
      fault = { kind: 'drop-after', chunk: int(value, 'N', spec, 0) };
      break;
    case 'stall':
      if (parts.length !== 2) throw new TraceForgeError('E_USAGE', `fault "${spec}": stall needs the chunk and the milliseconds, as stall=K:MS; ${USAGE}`);
      fault = { kind: 'stall', chunk: int(parts[0], 'K', spec, 1), ms: int(parts[1], 'MS', spec, 0, MAX_TIMER_MS, " (Node's timer limit, about 24.8 days)") };
      break;
    case 'status': {
      if (parts.length < 1 || parts.length > 2) throw new TraceForgeError('E_USAGE', `fault "${spec}": write status=CODE or status=CODE:RETRY_AFTER; ${USAGE}`);
      fault = { kind: 'status', status: int(parts[0], 'CODE', spec, 400, 599) };
      if (parts[1] !== undefined) {
        if (!/^\d+$/.test(parts[1])) throw new TraceForgeError('E_USAGE', `fault "${spec}": retry-after must be whole seconds, got "${parts[1]}"; ${USAGE}`);
        fault.retryAfter = parts[1];
      }
      break;
    }
    case 'error-event':
      fault = { kind: 'error-event', after: int(value, 'N', spec, 0) };
      break;
    case 'truncate-json':
      fault = { kind: 'truncate-json', chunk: int(value, 'N', spec, 1) };
      break;
    default:
      throw new TraceForgeError('E_USAGE', `unknown fault "${spec}": ${USAGE}`);
  }
  if (request !== undefined) fault.request = request;
  return fault;
}

/** Accept faults as strings (`'drop-after=3'`), objects, or a mix; validate objects like strings. */
export function normalizeFaults(faults: ReadonlyArray<string | Fault> | undefined): Fault[] {
  return (faults ?? []).map((f) => (typeof f === 'string' ? parseFault(f) : parseFault(formatFault(f))));
}

/**
 * The `--fault` spelling of a fault (inverse of {@link parseFault}).
 * @example formatFault({ kind: 'stall', chunk: 5, ms: 2000, request: 1 }); // 'stall=5:2000@1'
 */
export function formatFault(f: Fault): string {
  const base =
    f.kind === 'drop-after'
      ? `drop-after=${f.chunk}`
      : f.kind === 'stall'
        ? `stall=${f.chunk}:${f.ms}`
        : f.kind === 'status'
          ? `status=${f.status}${f.retryAfter !== undefined ? `:${f.retryAfter}` : ''}`
          : f.kind === 'error-event'
            ? `error-event=${f.after}`
            : `truncate-json=${f.chunk}`;
  return f.request === undefined ? base : `${base}@${f.request}`;
}

/** Faults that apply to the n-th request (from 1). */
export function faultsFor(faults: readonly Fault[], requestNumber: number): Fault[] {
  return faults.filter((f) => f.request === undefined || f.request === requestNumber);
}

/** The error body each provider sends with an error status, so its SDK raises its own error type. */
export function statusErrorBody(provider: Provider, status: number): string {
  return statusBody(provider, status);
}

/** The terminator the recording uses between events (Gemini sends CRLF). */
function terminatorOf(pieces: readonly PlannedPiece[], framing: string): string {
  const sample = pieces.length > 0 ? Buffer.from(pieces[0]!.bytes).toString('utf8') : '';
  if (framing === 'ndjson') return sample.endsWith('\r\n') ? '\r\n' : '\n';
  return sample.endsWith('\r\n\r\n') ? '\r\n\r\n' : '\n\n';
}

/** The provider's own mid-stream error event, as its SDK expects to see it. */
export function errorEventBytes(trace: Trace, terminator: string, sequence: number): Uint8Array {
  return errorEvent(trace.metadata.provider, trace.http.framing, { terminator, sequence });
}

/**
 * Cut the JSON payload of one frame in half. For SSE and NDJSON the event terminator is kept, so the
 * client receives a complete event whose JSON does not parse; an event-stream message is re-encoded
 * around half its payload (valid framing and CRCs); a raw body is cut in half outright.
 */
export function truncateJson(bytes: Uint8Array, framing: string): Uint8Array {
  if (framing === 'eventstream') return truncateEventStreamPayload(bytes);
  const text = Buffer.from(bytes).toString('utf8');
  if (framing === 'raw') return bytes.subarray(0, Math.floor(bytes.length / 2));
  const end = /(\r\n|\r|\n)+$/.exec(text);
  const tail = end ? end[0] : '';
  const bodyText = text.slice(0, text.length - tail.length);
  const start = framing === 'sse' ? bodyText.search(/[{[]/) : 0;
  const from = start < 0 ? bodyText.indexOf(':') + 1 : start;
  const cut = from + Math.floor((bodyText.length - from) / 2);
  return new TextEncoder().encode(bodyText.slice(0, cut) + tail);
}

/**
 * Apply stream faults to a playback plan (status faults are answered before matching, see the
 * replay server). Order on the timeline: truncation and stalls change chunks in place, then an error
 * event ends the body after its chunk, and a drop cuts the connection after its chunk, whichever comes
 * first (at the same chunk the error event is sent, then the connection drops).
 */
export function applyFaults(plan: Playback, trace: Trace, faults: readonly Fault[]): Playback {
  if (faults.length === 0) return plan;
  // A compressed stream replays its reads as received (see build.ts keepEncodedReads); under faults it is
  // replayed from its decoded events, uncompressed, so chunk numbers count events and changed bytes stay readable.
  if (trace.chunks && trace.http.body) {
    const response_headers = trace.http.response_headers.filter(([k]) => k.toLowerCase() !== 'content-encoding');
    plan = planPlayback({ ...trace, http: { ...trace.http, body: undefined, response_headers } });
  }
  const framing = trace.http.framing;
  const terminator = terminatorOf(plan.pieces, framing);
  let pieces: PlannedPiece[] = plan.pieces.map((p) => ({ ...p }));
  let changedBytes = false;
  for (const f of faults) {
    if (f.kind === 'truncate-json' && pieces[f.chunk - 1]) {
      pieces[f.chunk - 1]!.bytes = truncateJson(pieces[f.chunk - 1]!.bytes, framing);
      changedBytes = true;
    }
    if (f.kind === 'stall') for (let i = f.chunk - 1; i < pieces.length; i++) pieces[i]!.extraMs = (pieces[i]!.extraMs ?? 0) + f.ms;
  }
  let drop = plan.drop;
  const errorAfter = Math.min(...faults.flatMap((f) => (f.kind === 'error-event' && f.after <= pieces.length ? [f.after] : [])));
  const dropAfter = Math.min(...faults.flatMap((f) => (f.kind === 'drop-after' && f.chunk <= pieces.length ? [f.chunk] : [])));
  if (Number.isFinite(errorAfter) && errorAfter <= dropAfter) {
    // The error arrives when the next chunk would have: the upstream failed instead of sending it.
    const when = pieces[errorAfter] ?? pieces[errorAfter - 1];
    const event: PlannedPiece = { at: when?.at ?? plan.headersAt, bytes: errorEventBytes(trace, terminator, errorAfter), extraMs: when?.extraMs };
    pieces = [...pieces.slice(0, errorAfter), event];
    changedBytes = true;
    // The error event ends the body; the connection still drops if a drop was due at the same point.
    drop = errorAfter === dropAfter || (plan.drop && errorAfter === plan.pieces.length);
  } else if (Number.isFinite(dropAfter)) {
    pieces = pieces.slice(0, dropAfter);
    changedBytes = true;
    drop = true;
  }
  const total = pieces.reduce((n, p) => n + p.bytes.length, 0);
  const headers: string[] = [];
  for (let i = 0; i + 1 < plan.headers.length; i += 2) {
    // A content-length that no longer describes the body would make the client wait or misread it.
    if (plan.headers[i]!.toLowerCase() === 'content-length' && (changedBytes || drop) && (drop || Number(plan.headers[i + 1]) !== total)) continue;
    headers.push(plan.headers[i]!, plan.headers[i + 1]!);
  }
  return { ...plan, headers, pieces, drop };
}
