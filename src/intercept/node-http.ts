/**
 * Interception of `node:http` / `node:https` clients (axios, got, the AWS SDK's node handler...) with
 * @mswjs/interceptors' ClientRequestInterceptor.
 *
 * How an `https://api.openai.com` call ends up answered by a plain-HTTP local server: the interceptor
 * replaces the agent of every ClientRequest with a mock agent whose socket never connects anywhere
 * until a listener decides. For an intercepted host, the listener here sends the request on (over plain
 * HTTP, with undici, which does not go through node:http) to the local replay server, and hands the
 * answer to `respondWith` as a Fetch Response whose body is the local server's socket stream. The mock
 * socket writes status, headers and each body read into the app's HTTP parser as it arrives. No TLS
 * handshake happens at all: the app's `https.request` sees a socket that reports itself connected and a
 * normal IncomingMessage, so it believes it talked TLS to api.openai.com. Calls the listener leaves alone
 * go out for real, untouched (`passthrough`).
 */
import { STATUS_CODES } from 'node:http';
import { syncBuiltinESMExports } from 'node:module';
import { Readable } from 'node:stream';
import type { ClientRequest } from 'node:http';
import { getRawRequest } from '@mswjs/interceptors';
import { ClientRequestInterceptor } from '@mswjs/interceptors/ClientRequest';
import type { FetchDecision } from './fetch-dispatcher.js';
import { responseSink } from './in-process.js';
import { ownAgent } from './undici-clients.js';

// Hop-by-hop: the mock socket frames the body itself.
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);
const NO_BODY = new Set([101, 103, 204, 205, 304]);

export interface NodeHttpInterception {
  restore(): void;
}

/**
 * Route node:http and node:https requests through `decide`. `undici` is passed in: imported only after
 * the fetch interception let Node's fetch set its own global dispatcher (see fetch-dispatcher.ts).
 */
export function installNodeHttpInterception(undici: typeof import('undici'), decide: (url: URL) => FetchDecision): NodeHttpInterception {
  const undiciRequest = undici.request;
  const interceptor = new ClientRequestInterceptor();
  // Our own connections to the local server: not the global dispatcher, so they cannot loop through the fetch interception.
  const agent = ownAgent(undici, { pipelining: 0 });
  type Controller = { respondWith(r: Response): void; errorWith(e: Error): void };
  /** Send the call on to a local server (the replay server, or the recorder through it) and hand its answer to the app as it streams. */
  const forward = async (url: URL, request: Request, extra: Record<string, string>, origin: string, body: Buffer | undefined, controller: Controller): Promise<void> => {
    const headers: Record<string, string> = {};
    request.headers.forEach((v, k) => {
      if (!HOP.has(k) && k !== 'host') headers[k] = v;
    });
    Object.assign(headers, extra);
    if (body) headers['content-length'] = String(body.length);
    try {
      const res = await undiciRequest(new URL(url.pathname + url.search, origin), {
        method: request.method as 'POST',
        headers,
        body,
        dispatcher: agent,
      });
      const out = new Headers();
      for (const [k, v] of Object.entries(res.headers)) {
        if (HOP.has(k) || v === undefined) continue;
        for (const one of Array.isArray(v) ? v : [v]) out.append(k, one);
      }
      const stream = NO_BODY.has(res.statusCode) || request.method === 'HEAD' ? null : (Readable.toWeb(res.body) as ReadableStream<Uint8Array>);
      if (!stream) res.body.resume();
      controller.respondWith(new Response(stream, { status: res.statusCode, statusText: STATUS_CODES[res.statusCode] ?? '', headers: out }));
    } catch (e) {
      controller.errorWith(e instanceof Error ? e : new Error(String(e)));
    }
  };
  interceptor.on('request', async ({ request, controller }) => {
    const url = new URL(request.url);
    const d = decide(url);
    if (d.kind === 'pass') {
      // Under a virtual clock, time holds still until this call that leaves the process has its answer.
      if (d.leaving) {
        const release = d.leaving();
        const raw = getRawRequest(request) as ClientRequest | undefined;
        if (raw) raw.once('close', release).once('response', (res) => res.once('close', release));
        else release();
      }
      return;
    }
    if (d.kind === 'error') return controller.errorWith(d.error);
    if (d.kind === 'serve') {
      const { sink, response, cancelled } = responseSink();
      let body: Promise<Buffer> | undefined;
      const read = () => (body ??= request.arrayBuffer().then((b) => Buffer.from(b)));
      const headers: Record<string, string> = {};
      request.headers.forEach((v, k) => (headers[k] = v));
      const playing = await d.replay.respond({ method: request.method, url, headers, body: read }, sink);
      if (playing !== 'forward') {
        void cancelled.then(() => playing.cancel());
        (getRawRequest(request) as ClientRequest | undefined)?.once('close', () => playing.cancel());
        controller.respondWith(await response);
        return;
      }
      const release = d.replay.leaving(url, 'recorded');
      try {
        return await forward(url, request, d.headers, d.origin, await read(), controller);
      } finally {
        release();
      }
    }
    // The mock socket has no handle, so Node's Socket#_read adds a 'connect' listener for every read of a
    // streamed body; past ten that prints a MaxListenersExceededWarning in the user's test output.
    // The listeners go with the socket when the response ends.
    (getRawRequest(request) as ClientRequest | undefined)?.socket?.setMaxListeners(0);
    const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : Buffer.from(await request.arrayBuffer());
    await forward(url, request, d.headers, d.origin, body, controller);
  });
  interceptor.apply();
  // The interceptor replaces request/get on the node:http and node:https module objects; an ESM named
  // import (`import { request } from 'node:https'`) is a binding of its own, updated only by
  // syncBuiltinESMExports. Under jest's vm modules a builtin's named exports are a copy taken at import,
  // which nothing can update: there only the default export is intercepted (docs/limits.md).
  syncBuiltinESMExports();
  return {
    restore() {
      interceptor.dispose();
      syncBuiltinESMExports();
      void agent.close();
    },
  };
}
