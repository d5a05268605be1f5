import dc from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { sendableStatusMessage } from '../trace/status-message.js';
import { callStorage, type ProxyCall } from './call-context.js';

/**
 * Sub-millisecond chunk timing. mockttp's own body events batch writes for 20 ms
 * (CHUNK_BUFFER_INTERVAL_MS in mockttp src/util/request-utils.ts), far coarser than token gaps,
 * so we watch the upstream IncomingMessage directly: diagnostics_channel hands it to us before
 * mockttp sees it, and our `data` listener stamps every read as it arrives. Stamping is all this
 * thread does with a read: decoding, redaction and writing happen on the recorder's other thread.
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
  // The call's clock starts once the whole request is on the wire (after DNS, connect, TLS and the body),
  // as the replay server's starts once the whole request has arrived: a fresh connection's set-up at
  // recording time is not replayed as part of the time to first byte.
  request.once('finish', () => {
    if (!call.upstreamResponse) call.t0 = performance.now();
  });
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

function tapResponse(call: ProxyCall, response: IncomingMessage): void {
  const t0 = call.t0 ?? performance.now();
  const now = () => performance.now() - t0;
  call.upstreamResponse = response;
  call.onHead({ status: response.statusCode ?? 0, statusMessage: response.statusMessage ?? '', rawHeaders: pairs(response.rawHeaders), headersMs: now() });
  // The trace keeps the phrase as it came; the app gets the closest one Node can send (mockttp's writeHead
  // threw on a DEL or an escape in it, and the app got a 500 for a call recorded as a 200).
  if (response.statusMessage) response.statusMessage = sendableStatusMessage(response.statusMessage);
  // This listener is attached before mockttp pipes the response to the app (its passthrough awaits
  // first), so it runs before each read is forwarded: it must stay cheap (a stamp and a push), since
  // the chunk is written to the app only after every 'data' listener has returned.
  response.on('data', (chunk: Buffer) => {
    const at = now();
    call.firstByteMs ??= at;
    call.onRead(at, chunk);
  });
  response.once('end', () => {
    call.upstreamEnded = true;
    call.endMs ??= now();
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
      call.endMs ??= now();
    }
  });
}

/** Start listening; returns an unsubscribe function. Reference-counted so several proxies can share it. */
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
