import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from 'node:net';
import * as mockttp from 'mockttp';
import { TraceForgeError } from '../errors.js';
import type { RedactOptions } from '../trace/redact.js';
import type { Trace } from '../trace/types.js';
import { callStorage, type LiveCall } from './call-context.js';
import { finishTrace } from './spill.js';
import { oneAtATime } from './turns.js';
import { subscribeTimingTap, flushDecoder } from './timing-tap.js';
import { skipBodyTracking } from './untracked-body.js';
import { disablePortLoopCheck } from './loop-check.js';
import { boundRequestTime, wasForwarded, type RequestBounds } from './request-bounds.js';
import { answerUnreachable } from './upstream-error.js';
import { describeUpstream, joinUpstream } from './upstream-url.js';

export interface RecorderOptions {
  /** How long a client may take to send its request before it is closed (slowloris). Defaults: 10 s headers, 60 s whole request. */
  requestBounds?: RequestBounds;
  /** Send every call to this base URL. */
  upstream?: string | URL;
  /**
   * Pick the upstream per request (provider routing, see `createProviderRouter`). Wins over `upstream`
   * when it returns a URL. `destination` is the absolute URL the app addressed when it used the
   * recorder as an HTTP(S) proxy; it is undefined for calls made to the recorder's own address.
   */
  route?: (req: { method: string; url: string; headers: Record<string, string | string[] | undefined>; destination?: URL }) => URL | undefined;
  /**
   * Intercept HTTPS as a proxy (HTTPS_PROXY, CONNECT) with certificates signed by this CA
   * (see `ensureCA`). Plain HTTP keeps working on the same port. With `interceptOnly`, TLS to any
   * other host is tunnelled untouched and not recorded.
   */
  https?: ({ keyPath: string; certPath: string } | { key: string; cert: string }) & { interceptOnly?: string[] };
  /** Extra CA certificates (PEM) to trust for HTTPS upstreams, besides Node's own. */
  upstreamCAs?: string[];
  /** Port to listen on; 0 picks a free one. Default 0. */
  port?: number;
  /** Interface to bind. Default 127.0.0.1. */
  host?: string;
  /** Called with every finished call's trace (already redacted). Writing it is the caller's job. */
  onTrace?: (trace: Trace) => void | Promise<void>;
  /** Called when handling a call failed inside the recorder. */
  onError?: (error: Error) => void;
  /**
   * Your own secrets, on top of the built-in ones: header names (`x-internal-token`), JSON body, form
   * and query field names, and patterns. Their values are replaced by `[REDACTED]` in everything
   * recorded, and scrubbed wherever the upstream echoes them. The upstream still receives them.
   */
  redact?: RedactOptions;
}

export interface Recorder {
  /** Base URL of the proxy, e.g. http://127.0.0.1:8787 */
  readonly url: string;
  readonly port: number;
  /** Wait until every finished call's onTrace has settled. */
  flush(): Promise<void>;
  /** Stop accepting calls, wait for calls in flight to finish, flush. */
  close(): Promise<void>;
}

interface ConnectApp {
  (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): void;
}

/**
 * Start the recording proxy. Every call is forwarded live (mockttp pipes the upstream response
 * straight through) while the timing tap writes down each frame and when it arrived.
 *
 * @example
 * const rec = await startRecorder({ upstream: 'https://api.openai.com', onTrace: (t) => store.save(t) });
 * // OPENAI_BASE_URL=`${rec.url}/v1` node app.js
 * await rec.close();
 */
export async function startRecorder(options: RecorderOptions): Promise<Recorder> {
  const fixed = options.upstream === undefined ? undefined : new URL(options.upstream.toString());
  if (!fixed && !options.route) {
    throw new TraceForgeError('E_USAGE', 'the recorder needs an upstream: pass --upstream https://api.openai.com (or a route function)');
  }
  const host = options.host ?? '127.0.0.1';
  const { interceptOnly, ...ca } = options.https ?? {};
  const https = options.https ? { ...ca, ...(interceptOnly ? { tlsInterceptOnly: interceptOnly.map((hostname) => ({ hostname })) } : {}) } : undefined;
  const server = mockttp.getLocal({ http2: false, cors: false, recordTraffic: false, ...(https ? { https: https as mockttp.MockttpHttpsOptions } : {}) });
  const pending = new Set<Promise<void>>();
  // Building a trace and its onTrace (usually a file write) cost milliseconds each; when many streams
  // end together, doing them back to back stalled every stream still being forwarded for up to a second.
  // One per event-loop turn lets forwarding run in between.
  const finishing = oneAtATime();
  const live = new Set<LiveCall>();
  const unsubscribe = subscribeTimingTap();

  const pickUpstream = (method: string, url: string, headers: LiveCall['requestHeaders'], destination?: URL): URL | undefined =>
    options.route?.({ method, url, headers, destination }) ?? fixed;
  let selfPort = -1;
  // A call addressed to our own port (OPENAI_BASE_URL pointing here, even via HTTP_PROXY) is direct, not proxied.
  const isSelf = (u: URL): boolean =>
    Number(u.port || (u.protocol === 'https:' ? 443 : 80)) === selfPort &&
    (host === '0.0.0.0' || host === '::' || ['localhost', '127.0.0.1', '[::1]', host, `[${host}]`].includes(u.hostname));

  const finalize = (call: LiveCall): void => {
    if (call.finished) return;
    call.finished = true;
    live.delete(call);
    // A request that never finished arriving never reached the upstream: there is no call to record.
    if (!wasForwarded(call)) return;
    const t0 = call.t0 ?? performance.now();
    flushDecoder(call, performance.now() - t0);
    const outcome = !call.upstreamResponse
      ? call.upstreamError
        ? 'upstream_unreachable'
        : call.clientAborted
          ? 'client_aborted'
          : 'upstream_unreachable'
      : call.clientAborted && !call.upstreamEnded
        ? 'client_aborted'
        : call.upstreamAborted && !call.upstreamEnded
          ? 'upstream_aborted'
          : 'complete';
    let response = call.response;
    let frames = call.frames;
    if (outcome === 'upstream_unreachable' && !response) {
      // The app got our 502; record it so a replay answers the same way.
      const body = call.syntheticBody;
      response = { status: 502, statusMessage: 'Bad Gateway', rawHeaders: [['content-type', 'application/json']], headersMs: 0, framing: 'raw' };
      frames = body ? [{ frame: { raw: body }, atMs: 0 }] : [];
    }
    const errorText =
      outcome === 'complete'
        ? undefined
        : outcome === 'client_aborted'
          ? 'the client closed the connection before the response was complete'
          : call.upstreamError
            ? `${(call.upstreamError as NodeJS.ErrnoException).code ?? 'error'}: ${call.upstreamError.message}`
            : 'the upstream closed the connection before the response was complete';
    const captured = {
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
      firstByteMs: call.firstByteMs,
      durationMs: performance.now() - call.arrivedAt,
      outcome,
      error: errorText,
      redact: call.redact,
    } as const;
    const p = new Promise<void>((done) =>
      finishing.push(() => {
        void (async () => {
          try {
            await options.onTrace?.(finishTrace(call, captured));
          } catch (e) {
            options.onError?.(e instanceof Error ? e : new Error(String(e)));
          } finally {
            done();
          }
        })();
      }),
    );
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };

  // Wrap mockttp's request listener so each request runs inside its own call context.
  const internals = server as unknown as { app: ConnectApp; server?: Server };
  const app = internals.app;
  internals.app = (req, res, next) => {
    const call: LiveCall = {
      id: randomBytes(6).toString('hex'),
      arrivedAt: performance.now(),
      timestamp: new Date().toISOString(),
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      requestHeaders: { ...req.headers },
      requestBody: new Uint8Array(0),
      upstream: '',
      redact: options.redact,
      frames: [],
      upstreamEnded: false,
      upstreamAborted: false,
      clientAborted: false,
      finished: false,
    };
    live.add(call);
    res.on('close', () => {
      if (!res.writableFinished && !call.upstreamAborted && !call.upstreamError) call.clientAborted = true;
      finalize(call);
    });
    call.onUpstreamError = (e) => {
      call.syntheticBody = answerUnreachable(res, call.upstream || 'upstream', e);
    };
    skipBodyTracking(res);
    callStorage.run(call, () => app(req, res, next));
  };
  // mockttp's start() has no host parameter and would listen on every interface; bind ours instead.
  let inner: Server | undefined;
  Object.defineProperty(server, 'server', {
    configurable: true,
    get: () => inner,
    set: (v: Server | undefined) => {
      inner = v;
      if (v) {
        const listen = v.listen.bind(v) as (port: number, host: string) => Server;
        (v as unknown as { listen: (port: number) => Server }).listen = (port: number) => listen(port, host);
      }
    },
  });

  await server
    .forAnyRequest()
    .thenPassThrough({
      simulateConnectionErrors: true,
      ...(options.upstreamCAs?.length ? { additionalTrustedCAs: options.upstreamCAs.map((cert) => ({ cert })) } : {}),
      beforeRequest: async (req) => {
        const call = callStorage.getStore();
        const addressed = new URL(req.url);
        const path = addressed.pathname + addressed.search;
        const target = pickUpstream(req.method, path, req.headers, isSelf(addressed) ? undefined : addressed);
        if (!target) {
          // Nothing is forwarded (call.upstream stays empty), so finalize records nothing: the app gets the explanation.
          const message = `TraceForge cannot tell which provider ${req.method} ${path} is for: pass --upstream URL, or call a provider path (/v1/chat/completions, /v1/messages, /v1beta/models/...:streamGenerateContent, /api/chat)`;
          return { response: { statusCode: 502, json: { error: { type: 'traceforge_no_upstream', message } } } };
        }
        // The upstream is this recorder: forwarding would loop until something ran out.
        if (isSelf(new URL(target))) {
          const message = `TraceForge would forward ${req.method} ${path} to itself (${describeUpstream(target)} is the recorder's own address): pass the provider's URL as --upstream, and point the app at the recorder`;
          return { response: { statusCode: 508, json: { error: { type: 'traceforge_loop', message } } } };
        }
        if (call) {
          call.url = path;
          call.upstream = describeUpstream(target);
          call.requestBody = new Uint8Array(req.body.buffer);
        }
        // identity: a compressed stream could not be timed per event, and apps see the same data either way.
        const url = joinUpstream(target, path);
        return { url: url.toString(), headers: { ...req.headers, host: url.host, 'accept-encoding': 'identity' } };
      },
    });

  try {
    await server.start(options.port ?? 0);
  } catch (e) {
    unsubscribe();
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new TraceForgeError('E_PORT_IN_USE', `port ${options.port} on ${host} is already in use: pass --port 0 for a free port, or another port`, { cause: e });
    }
    throw e;
  }
  // mockttp's inner http server never listens, so Node would never time out a slowloris client.
  boundRequestTime(inner!, options.requestBounds);
  disablePortLoopCheck(server);
  const address = inner!.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 0);
  selfPort = port;
  const displayHost = host.includes(':') ? `[${host}]` : host;
  let closed = false;

  return {
    url: `http://${displayHost}:${port}`,
    port,
    async flush() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    async close() {
      if (closed) return;
      closed = true;
      // Let calls in flight finish (bounded) so their traces are complete, then stop.
      const deadline = Date.now() + 5000;
      while (live.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await server.stop();
      unsubscribe();
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
