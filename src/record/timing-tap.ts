import dc from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Frame } from '../stream/frame.js';
import { createDecoder, detectFraming } from '../stream/framing.js';
import { prepareFrame, preparedRead, requestSecrets, type PreparedFrame } from '../trace/build.js';
import { createPieceRedactor } from '../trace/redact-pieces.js';
import { callStorage, type LiveCall } from './call-context.js';
import { spillFrame } from './spill.js';

/**
 * Sub-millisecond chunk timing. mockttp's own body events batch writes for 20 ms
 * (CHUNK_BUFFER_INTERVAL_MS in mockttp src/util/request-utils.ts), far coarser than token gaps,
 * so we watch the upstream IncomingMessage directly: diagnostics_channel hands it to us before
 * mockttp sees it, and our `data` listener stamps every read as it arrives.
 */
let subscribers = 0;

function pairs(raw: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}

function onRequestStart(message: unknown): void {
  const call = callStorage.getStore();
  if (!call || call.upstreamRequest) return;
  const { request } = message as { request: ClientRequest };
  call.t0 = performance.now();
  call.upstreamRequest = request;
  request.once('error', (e) => {
    call.upstreamError ??= e;
    if (!call.upstreamResponse) call.onUpstreamError?.(e);
  });
}

function onResponseFinish(message: unknown): void {
  const call = callStorage.getStore();
  const { request, response } = message as { request: ClientRequest; response: IncomingMessage };
  if (!call || call.upstreamRequest !== request || call.upstreamResponse) return;
  tapResponse(call, response);
}

function tapResponse(call: LiveCall, response: IncomingMessage): void {
  const t0 = call.t0 ?? performance.now();
  const now = () => performance.now() - t0;
  const contentType = response.headers['content-type'];
  const encoded = (response.headers['content-encoding'] ?? 'identity') !== 'identity';
  // A compressed body cannot be split into events; keep its reads as they came so replay stays byte-exact.
  const framing = encoded ? 'raw' : detectFraming(Array.isArray(contentType) ? contentType[0] : contentType);
  call.upstreamResponse = response;
  call.response = {
    status: response.statusCode ?? 0,
    statusMessage: response.statusMessage ?? '',
    rawHeaders: pairs(response.rawHeaders),
    headersMs: now(),
    framing,
  };
  const decoder = createDecoder(framing);
  call.decoder = decoder;
  call.secrets = requestSecrets(call);
  call.prepared = [];
  if (framing === 'raw') call.rawRedactor = createPieceRedactor<Frame>(call.secrets);
  // mockttp's pipe listener was attached first, so each read is already on its way to the app when this runs.
  response.on('data', (chunk: Buffer) => {
    const at = now();
    call.firstByteMs ??= at;
    later(call, chunk, at);
  });
  response.once('end', () => {
    call.upstreamEnded = true;
    flushDecoder(call, now());
  });
  response.once('aborted', () => {
    call.upstreamAborted = true;
  });
  response.once('error', (e) => {
    call.upstreamAborted = true;
    call.upstreamError ??= e;
  });
  response.once('close', () => {
    if (!call.upstreamEnded) {
      call.upstreamAborted = true;
      flushDecoder(call, now());
    }
  });
}

/**
 * Reads waiting to be decoded, parsed and redacted. Node handles every socket that became readable in
 * one poll in turn; parsing a read right in its data handler made the next socket's read, already
 * forwarded by mockttp, wait for it, so with 200 streams each forward waited for the parsing of the
 * others. Stamped on arrival, parsed after every read of the poll was forwarded (setImmediate).
 */
const backlog: Array<{ call: LiveCall; chunk: Buffer; at: number }> = [];
let drainScheduled = false;

function later(call: LiveCall, chunk: Buffer, at: number): void {
  backlog.push({ call, chunk, at });
  if (!drainScheduled) {
    drainScheduled = true;
    setImmediate(drainBacklog);
  }
}

/** Parse every waiting read, in arrival order (so each call's reads stay in order). */
function drainBacklog(): void {
  drainScheduled = false;
  for (let i = 0; i < backlog.length; i++) {
    const { call, chunk, at } = backlog[i]!;
    if (call.decoder) for (const frame of call.decoder.push(chunk)) addFrame(call, frame, at);
  }
  backlog.length = 0;
}

/** Emit the unterminated remainder (a stream cut mid-event) as a partial frame, once. */
export function flushDecoder(call: LiveCall, atMs: number): void {
  drainBacklog();
  const decoder = call.decoder;
  if (!decoder) return;
  call.decoder = undefined;
  for (const frame of decoder.end()) addFrame(call, frame, atMs);
  const held = call.rawRedactor?.end() ?? [];
  call.rawRedactor = undefined;
  for (const h of held) keepFrame(call, h.tag, h.at, preparedRead(h.raw, h.at));
}

/** Keep a frame and its parsed, redacted form: the parsing cost is paid per frame as it arrives, not in one block at the end. */
function addFrame(call: LiveCall, frame: Frame, atMs: number): void {
  if (call.rawRedactor) {
    for (const h of call.rawRedactor.push(frame.raw, atMs, frame)) keepFrame(call, h.tag, h.at, preparedRead(h.raw, h.at));
    return;
  }
  const prepared = call.prepared && call.secrets ? prepareFrame(frame, atMs, call.response?.framing !== 'raw', call.secrets) : undefined;
  keepFrame(call, frame, atMs, prepared);
}

function keepFrame(call: LiveCall, frame: Frame, atMs: number, prepared: PreparedFrame | undefined): void {
  // A body past the in-memory limit goes to its spill file instead (see spill.ts).
  if (prepared && spillFrame(call, prepared, frame.raw.length)) return;
  call.frames.push({ frame, atMs });
  if (prepared) call.prepared!.push(prepared);
}

/** Start listening; returns an unsubscribe function. Reference-counted so several recorders can share it. */
export function subscribeTimingTap(): () => void {
  if (subscribers++ === 0) {
    dc.subscribe('http.client.request.start', onRequestStart);
    dc.subscribe('http.client.response.finish', onResponseFinish);
  }
  let done = false;
  return () => {
    if (done) return;
    done = true;
    if (--subscribers === 0) {
      dc.unsubscribe('http.client.request.start', onRequestStart);
      dc.unsubscribe('http.client.response.finish', onResponseFinish);
    }
  };
}
