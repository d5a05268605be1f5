import { STATUS_CODES } from 'node:http';
import type { Frame, FrameDecoder } from '../stream/frame.js';
import { createContentDecoding, createEncodedDecoder } from '../stream/content-decoding.js';
import { createDecoder, detectFraming } from '../stream/framing.js';
import { frameData, prepareFrame, preparedRead, requestSecrets, type CapturedCall } from '../trace/build.js';
import type { PreparedFrame } from '../trace/build.js';
import type { Redaction, RedactOptions } from '../trace/redact.js';
import { createAcrossRedactor } from '../trace/redact-across.js';
import { createPieceRedactor, type PieceRedactor } from '../trace/redact-pieces.js';
import type { Trace } from '../trace/types.js';
import type { ProxyEvent } from './proxy-messages.js';
import { defaultSpillThreshold, finishTrace, spillFrame, type Spill } from './spill.js';

/** What the recorder knows of a call from the start, in the shape the trace builder takes it. */
type CallBasics = Pick<CapturedCall, 'id' | 'timestamp' | 'method' | 'url' | 'requestHeaders' | 'requestBody' | 'upstream' | 'response' | 'frames' | 'prepared' | 'firstByteMs' | 'redact'>;

/** One call being turned into a trace on the recorder's own thread, from what the proxy thread reported. */
export interface AssemblingCall extends CallBasics {
  decoder?: FrameDecoder;
  /** The request's redaction (rules and secret values), collected once when the response starts. */
  secrets?: Redaction;
  /** Raw (not SSE/NDJSON) bodies: reads wait here until enough follows them to see a cut secret whole. */
  rawRedactor?: PieceRedactor<Frame>;
  /** Stream events wait here until enough content follows them to see a secret split across events whole. */
  acrossRedactor?: ReturnType<typeof createAcrossRedactor<HeldEvent>>;
  /** Body bytes (plus a per-frame overhead) this call may hold in memory before it spills to disk. */
  spillThreshold: number;
  /** Body bytes held in `frames` so far. */
  memoryBytes?: number;
  /** Set once the body outgrew memory: frames then go to this file instead of `frames`. */
  spill?: Spill;
}

interface HeldEvent {
  frame: Frame;
  atMs: number;
  prepared: PreparedFrame;
}

type Start = Extract<ProxyEvent, { t: 'start' }>;
type Head = Extract<ProxyEvent, { t: 'head' }>;
type End = Extract<ProxyEvent, { t: 'end' }>;

export function beginCall(start: Start, redact: RedactOptions | undefined, spillThreshold = defaultSpillThreshold()): AssemblingCall {
  return {
    id: start.id,
    timestamp: start.timestamp,
    method: start.method,
    url: start.url,
    requestHeaders: start.headers,
    requestBody: start.body,
    upstream: start.upstream,
    redact,
    spillThreshold,
    frames: [],
  };
}

export function headOf(call: AssemblingCall, head: Head): void {
  const header = (name: string) => head.rawHeaders.find(([k]) => k.toLowerCase() === name)?.[1];
  const encoding = (header('content-encoding') ?? '').trim();
  const identity = encoding === '' || encoding.toLowerCase() === 'identity';
  const detected = detectFraming(header('content-type'));
  // A compressed stream (gzip, deflate, br) is decompressed read by read to find its events, each dated
  // from the compressed read that completed it; its reads are also kept as received, which replay sends
  // (see build.ts keepEncodedReads). Other codings, and compressed non-streams, keep their reads as they came.
  const coding = identity || detected === 'raw' ? undefined : createContentDecoding(encoding);
  const framing = identity || coding ? detected : 'raw';
  call.response = { status: head.status, statusMessage: head.statusMessage, rawHeaders: head.rawHeaders, headersMs: head.headersMs, framing };
  if (coding) call.response.encodedReads = [];
  call.decoder = coding ? createEncodedDecoder(coding, createDecoder(framing)) : createDecoder(framing);
  call.secrets = requestSecrets(call);
  call.prepared = [];
  if (framing === 'raw') call.rawRedactor = createPieceRedactor<Frame>(call.secrets);
}

/** Decode one read into frames, each parsed and redacted as it completes. */
export function readOf(call: AssemblingCall, chunk: Uint8Array, at: number): void {
  // A compressed stream: the read as received, for replay (copied: the caller may reuse its buffer).
  if (chunk.length > 0) call.response?.encodedReads?.push({ raw: chunk.slice(), atMs: at });
  // frame.at: a frame whose end showed only in this read (a CR not followed by LF) dates from an earlier read.
  if (call.decoder) for (const frame of call.decoder.push(chunk, at)) addFrame(call, frame, frame.at ?? at);
}

/** Emit the unterminated remainder (a stream cut mid-event) as a partial frame, once. */
function flushDecoder(call: AssemblingCall, atMs: number): void {
  const decoder = call.decoder;
  if (!decoder) return;
  call.decoder = undefined;
  for (const frame of decoder.end(atMs)) addFrame(call, frame, frame.at ?? atMs);
  const encoded = decoder as Partial<ReturnType<typeof createEncodedDecoder>>;
  const reads = call.response?.encodedReads;
  if (call.response && reads && encoded.failed && encoded.frames === 0) {
    // Not decompressible from the start: keep the body as the raw reads it came in, as for an unknown
    // coding (buildTrace redacts them together). After some events, those stand and replay uses the reads.
    call.response.framing = 'raw';
    delete call.response.encodedReads;
    call.frames = reads.map((r) => ({ frame: { raw: r.raw }, atMs: r.atMs }));
    call.prepared = [];
  }
  const held = call.rawRedactor?.end() ?? [];
  call.rawRedactor = undefined;
  for (const h of held) keepFrame(call, h.tag, h.at, preparedRead(h.raw, h.at));
}

function addFrame(call: AssemblingCall, frame: Frame, atMs: number): void {
  if (call.rawRedactor) {
    for (const h of call.rawRedactor.push(frame.raw, atMs, frame)) keepFrame(call, h.tag, h.at, preparedRead(h.raw, h.at));
    return;
  }
  const prepared = call.prepared && call.secrets ? prepareFrame(frame, atMs, call.response?.framing !== 'raw', call.secrets) : undefined;
  if (!prepared?.chunk || !call.secrets) return keepFrame(call, frame, atMs, prepared);
  call.acrossRedactor ??= createAcrossRedactor<HeldEvent>(call.secrets, call.response?.framing ?? 'sse');
  for (const held of call.acrossRedactor.push(prepared.chunk, { frame, atMs, prepared }, () => frameData(frame))) keepEvent(call, held.tag);
}

/** Release the events still held for cross-event redaction, at the end of the body. */
function flushAcross(call: AssemblingCall): void {
  const held = call.acrossRedactor?.end() ?? [];
  call.acrossRedactor = undefined;
  for (const h of held) keepEvent(call, h.tag);
}

function keepEvent(call: AssemblingCall, { frame, atMs, prepared }: HeldEvent): void {
  // Cross-event redaction may have rewritten the chunk's raw bytes.
  prepared.raw = prepared.chunk!.raw;
  keepFrame(call, frame, atMs, prepared);
}

function keepFrame(call: AssemblingCall, frame: Frame, atMs: number, prepared: PreparedFrame | undefined): void {
  // A body past the in-memory limit goes to its spill file instead (see spill.ts).
  if (prepared && spillFrame(call, prepared, frame.raw.length)) return;
  call.frames.push({ frame, atMs });
  if (prepared) call.prepared!.push(prepared);
}

/** The call's trace, redacted, from everything the proxy thread reported. */
export function endCall(call: AssemblingCall, end: End): Trace {
  flushDecoder(call, end.endMs);
  flushAcross(call);
  let response = call.response;
  let frames = call.frames;
  if ((end.outcome === 'upstream_unreachable' || end.outcome === 'recorder_refused') && !response) {
    // The app got our own answer (502, or a 508 loop / 403 refused host); record it so a replay answers the same way.
    const body = end.syntheticBody;
    const status = end.syntheticStatus ?? 502;
    response = { status, statusMessage: STATUS_CODES[status] ?? '', rawHeaders: [['content-type', 'application/json']], headersMs: 0, framing: 'raw' };
    frames = body ? [{ frame: { raw: body }, atMs: 0 }] : [];
  }
  const captured: CapturedCall = {
    id: call.id,
    timestamp: call.timestamp,
    method: call.method,
    url: call.url,
    requestHeaders: call.requestHeaders,
    requestBody: call.requestBody,
    upstream: call.upstream,
    response,
    frames,
    prepared: frames === call.frames ? call.prepared : undefined,
    secrets: call.secrets,
    firstByteMs: end.firstByteMs,
    durationMs: end.durationMs,
    outcome: end.outcome,
    error: end.error,
    redact: call.redact,
    maxLoopDelayMs: end.maxLoopDelayMs,
  };
  return finishTrace(call, captured);
}
