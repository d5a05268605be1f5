/**
 * Answering an intercepted call in-process, with no socket: the virtual-clock replay delivers each
 * piece of the recorded response straight to the app's HTTP client, so each delivery is an event on
 * the app's fake clock. Two clients are fed this way: the global fetch (an undici dispatch handler) and
 * node:http/https (a Fetch Response that @mswjs/interceptors writes into the request's mock socket).
 */
import { STATUS_CODES } from 'node:http';
import type { Dispatcher } from 'undici';
import { sendableStatusMessage } from '../trace/status-message.js';
import type { ResponseSink } from '../virtual/play.js';

type HeaderInput = Dispatcher.DispatchOptions['headers'];

/** Request headers in any shape undici accepts, as a lower-cased record. */
export function headerRecord(headers: HeaderInput): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const add = (k: unknown, v: unknown) => {
    if (v === undefined || v === null) return;
    const key = String(k).toLowerCase();
    const value = Array.isArray(v) ? v.map(String) : String(v);
    const had = out[key];
    out[key] = had === undefined ? value : [...(Array.isArray(had) ? had : [had]), ...(Array.isArray(value) ? value : [value])];
  };
  if (headers == null) return out;
  if (Array.isArray(headers)) {
    const list = headers as unknown[];
    if (list.length > 0 && Array.isArray(list[0])) for (const [k, v] of list as Array<[string, string]>) add(k, v);
    else for (let i = 0; i + 1 < list.length; i += 2) add(list[i], list[i + 1]);
  } else if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const [k, v] of headers as Iterable<[string, string]>) add(k, v);
  } else for (const [k, v] of Object.entries(headers as Record<string, unknown>)) add(k, v);
  return out;
}

/** A dispatch body (string, bytes, a stream or async iterable of them), read whole. */
export async function readDispatchBody(body: unknown): Promise<Buffer> {
  if (body == null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  if (typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function' || typeof (body as Iterable<unknown>)[Symbol.iterator] === 'function') {
    const parts: Buffer[] = [];
    for await (const c of body as AsyncIterable<unknown>) parts.push(typeof c === 'string' ? Buffer.from(c) : Buffer.from(c as Uint8Array));
    return Buffer.concat(parts);
  }
  if (typeof (body as Blob).arrayBuffer === 'function') return Buffer.from(await (body as Blob).arrayBuffer());
  throw new Error(`traceforge: cannot read a request body of type ${Object.prototype.toString.call(body)} for in-process replay`);
}

/** What a client sees when the server cuts the connection mid-body, as undici reports it. */
export function connectionCut(): Error {
  return Object.assign(new Error('other side closed'), { name: 'SocketError', code: 'UND_ERR_SOCKET' });
}

type OldHandler = {
  onConnect?(abort: (err?: Error) => void, context?: unknown): void;
  onHeaders?(status: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean | void;
  onData?(chunk: Buffer): boolean | void;
  onComplete?(trailers: Buffer[] | null): void;
  onError?(err: Error): void;
};
type NewHandler = {
  onRequestStart?(controller: unknown, context: unknown): void;
  onResponseStart?(controller: unknown, status: number, headers: Record<string, string | string[]>, statusMessage?: string): void;
  onResponseData?(controller: unknown, chunk: Buffer): void;
  onResponseEnd?(controller: unknown, trailers: Record<string, string>): void;
  onResponseError?(controller: unknown, err: Error): void;
};

/**
 * A sink feeding an undici dispatch handler (Node's fetch hands undici 6's shape, undici 7 callers the
 * newer one). `start(abort)` tells the client the request is under way; its abort (the app's
 * AbortSignal) calls `abort`.
 */
export function handlerSink(handler: Dispatcher.DispatchHandler): { sink: ResponseSink; start(onAbort: (err: Error) => void): void; fail(err: Error): void } {
  const old = handler as unknown as OldHandler;
  const modern = handler as unknown as NewHandler;
  const isNew = typeof modern.onResponseStart === 'function' && typeof old.onHeaders !== 'function';
  let done = false;
  let onAbort: (err: Error) => void = () => undefined;
  const fail = (err: Error) => {
    if (done) return;
    done = true;
    if (isNew) modern.onResponseError?.(controller, err);
    else old.onError?.(err);
  };
  const controller = {
    aborted: false,
    paused: false,
    reason: null as Error | null,
    abort(reason?: Error) {
      if (this.aborted) return;
      this.aborted = true;
      this.reason = reason ?? new Error('aborted');
      onAbort(this.reason);
      fail(this.reason);
    },
    // Pieces arrive on the tape's schedule; a paused reader buffers them, as a socket's kernel buffer would.
    pause() {},
    resume() {},
  };
  const sink: ResponseSink = {
    head(status, statusMessage, headers) {
      if (done) return;
      const text = statusMessage || STATUS_CODES[status] || '';
      if (isNew) {
        const record: Record<string, string | string[]> = {};
        for (let i = 0; i + 1 < headers.length; i += 2) {
          const k = headers[i]!.toLowerCase();
          const had = record[k];
          record[k] = had === undefined ? headers[i + 1]! : [...(Array.isArray(had) ? had : [had]), headers[i + 1]!];
        }
        modern.onResponseStart?.(controller, status, record, text);
      } else old.onHeaders?.(status, headers.map((h) => Buffer.from(h, 'latin1')), () => undefined, text);
    },
    data(bytes) {
      if (done) return;
      const chunk = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      if (isNew) modern.onResponseData?.(controller, chunk);
      else old.onData?.(chunk);
    },
    end() {
      if (done) return;
      done = true;
      if (isNew) modern.onResponseEnd?.(controller, {});
      else old.onComplete?.([]);
    },
    cut() {
      fail(connectionCut());
    },
  };
  return {
    sink,
    start(abort) {
      onAbort = abort;
      if (isNew) modern.onRequestStart?.(controller, {});
      else old.onConnect?.((err?: Error) => controller.abort(err));
    },
    fail,
  };
}

/**
 * A sink that becomes a Fetch Response once its head arrives (for @mswjs/interceptors' respondWith),
 * its body a stream fed piece by piece.
 */
export function responseSink(): { sink: ResponseSink; response: Promise<Response>; cancelled: Promise<void> } {
  let resolve!: (r: Response) => void;
  let body!: ReadableStreamDefaultController<Uint8Array>;
  let onCancel!: () => void;
  const cancelled = new Promise<void>((r) => (onCancel = r));
  const response = new Promise<Response>((r) => (resolve = r));
  let closed = false;
  const sink: ResponseSink = {
    head(status, statusMessage, headers) {
      const out = new Headers();
      for (let i = 0; i + 1 < headers.length; i += 2) out.append(headers[i]!, headers[i + 1]!);
      const noBody = [101, 103, 204, 205, 304].includes(status);
      const stream = noBody
        ? null
        : new ReadableStream<Uint8Array>({
            start(c) {
              body = c;
            },
            cancel() {
              closed = true;
              onCancel();
            },
          });
      if (noBody) closed = true;
      // fetch's Response refuses what Node's writeHead refuses: the app gets what a socket would have carried.
      resolve(new Response(stream, { status, statusText: sendableStatusMessage(statusMessage || STATUS_CODES[status] || ''), headers: out }));
    },
    data(bytes) {
      if (!closed) body.enqueue(new Uint8Array(bytes));
    },
    end() {
      if (closed) return;
      closed = true;
      body.close();
    },
    cut() {
      if (closed) return;
      closed = true;
      body.error(connectionCut());
    },
  };
  return { sink, response, cancelled };
}
