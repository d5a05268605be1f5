import { parseHttpUrl } from '../util/http-url.js';
import { checkTimerMs } from '../util/real-timers.js';
import { TraceForgeError } from '../errors.js';
import type { RedactOptions } from '../trace/redact.js';
import type { Trace } from '../trace/types.js';
import { beginCall, endCall, headOf, readOf, type AssemblingCall } from './call-assembler.js';
import type { ProxyEvent, RouteSpec } from './proxy-messages.js';
import { startProxyThread } from './proxy-thread.js';

export { dropWarmProxyThread, warmProxyThread } from './proxy-thread.js';
import { defaultSpillThreshold, sweepStaleSpills } from './spill.js';
import { allowedHostsOf, routeSpecOf } from './provider-routes.js';
import { maxRequestBytes, type RequestBounds } from './request-bounds.js';
import { wsTraceOf } from '../ws/tape.js';

export interface RecorderOptions {
  /**
   * A connection whose request head has not all arrived this many ms after it opened is closed (idle and
   * slowloris sockets). Default 10,000. The same option, with the same meaning, as the replay server's.
   */
  headersTimeoutMs?: number;
  /** A client must send its whole request (head and body) within this many ms. Default 60,000. */
  requestTimeoutMs?: number;
  /**
   * A request body over this many bytes is answered 413 (`traceforge_request_too_large`), not forwarded
   * and not recorded. Default TRACEFORGE_MAX_REQUEST_BYTES, else 32 MiB (the replay server's limit).
   */
  maxRequestBytes?: number;
  /** Send every call to this base URL. */
  upstream?: string | URL;
  /**
   * Pick the upstream per request (provider routing, see `createProviderRouter`). Wins over `upstream`
   * when it returns a URL. `destination` is the absolute URL the app addressed when it used the
   * recorder as an HTTP(S) proxy; it is undefined for calls made to the recorder's own address.
   * A router from `createProviderRouter` is rebuilt on the proxy thread; any other function stays on
   * this thread and is asked once per request before it is forwarded (a busy thread delays the request,
   * never a chunk's stamp).
   */
  route?: (req: { method: string; url: string; headers: Record<string, string | string[] | undefined>; destination?: URL }) => URL | undefined;
  /**
   * Intercept HTTPS as a proxy (HTTPS_PROXY, CONNECT) with certificates signed by this CA
   * (see `ensureCA`). Plain HTTP keeps working on the same port. With `interceptOnly`, TLS to any
   * other host is tunnelled untouched and not recorded.
   */
  https?: ({ keyPath: string; certPath: string } | { key: string; cert: string }) & { interceptOnly?: string[] };
  /**
   * More hosts (`HOST` or `HOST:PORT`) a proxied request may be forwarded to. With a router from
   * `createProviderRouter` (no `upstream`), a request the app addressed through the recorder as a
   * proxy (absolute URL, CONNECT, a Host header that is not the recorder's) is forwarded only to the
   * providers' hosts, the router's overrides and its `allowHosts`, and these; any other host gets a 403
   * (`traceforge_host_not_allowed`). With your own route function, setting this turns the same check
   * on (providers' hosts plus these); without it your function decides alone.
   */
  allowHosts?: string[];
  /** Extra CA certificates (PEM) to trust for HTTPS upstreams, besides Node's own. */
  upstreamCAs?: string[];
  /**
   * A call whose body holds more than this in memory (bytes plus ~512 per event) goes to a temp file as it
   * arrives and is streamed into its trace file. Default 8 MiB, or TRACEFORGE_SPILL_BYTES.
   */
  spillThresholdBytes?: number;
  /** Port to listen on; 0 picks a free one. Default 0. */
  port?: number;
  /** Interface to bind. Default 127.0.0.1. */
  host?: string;
  /**
   * Called with every finished call's trace (already redacted). Writing it is the caller's job. The app
   * gets the end of the call's response only once the promise returned has settled (at most
   * HOLD_END_MAX_MS, 10 s, later), so a call the app has is a call written: see `holdEnd`.
   */
  onTrace?: (trace: Trace) => void | Promise<void>;
  /**
   * Hold the end of each recorded response (its last body byte and the end of the message) until
   * onTrace has settled for it. Default true. Every chunk before it still reaches the app as it arrives,
   * and recorded times are taken as bytes arrive from the upstream, so they are not changed. false: the
   * app may have a response whose call a crash then loses.
   */
  holdEnd?: boolean;
  /** Called when handling a call failed inside the recorder. */
  onError?: (error: Error) => void;
  /**
   * Your own secrets, on top of the built-in ones: header names (`x-internal-token`), JSON body, form
   * and query field names, and patterns. Their values are replaced by `[REDACTED]` in everything
   * recorded, and scrubbed wherever the upstream echoes them. The upstream still receives them.
   */
  redact?: RedactOptions;
  /** Print mockttp's own console lines ("Failed to handle request: Aborted"); they are noise, as each call is recorded with its outcome. */
  debug?: boolean;
}

export interface Recorder {
  /** Base URL of the proxy, e.g. http://127.0.0.1:8787 */
  readonly url: string;
  readonly port: number;
  /** Where WebSocket upgrades are recorded (a relay on the proxy thread), e.g. http://127.0.0.1:41235 */
  readonly wsUrl: string;
  /** Wait until every finished call's onTrace has settled. */
  flush(): Promise<void>;
  /**
   * Stop accepting calls, let calls in flight finish (up to `graceMs`, default 5 s; the rest are cut
   * and recorded with outcome `recorder_shutdown`), and wait until every trace's onTrace has settled.
   */
  close(options?: { graceMs?: number }): Promise<void>;
  /** Cut every call in flight now (a second Ctrl-C): each is recorded, partial, with outcome `recorder_shutdown`. */
  cut(): void;
  /**
   * Settles when the proxy stops: with undefined after close(), or with the error when its thread died
   * (calls that had finished are still delivered; new calls are refused).
   */
  readonly stopped: Promise<Error | undefined>;
}


/**
 * Start the recording proxy. The proxy runs on a thread of its own that only forwards and stamps
 * (mockttp pipes each upstream response straight through while the timing tap notes when every read
 * arrived); this thread decodes, redacts, builds the traces and runs onTrace. So a slow disk, a big
 * cassette or an app burning CPU on this thread cannot shift a stamp.
 *
 * @example
 * const rec = await startRecorder({ upstream: 'https://api.openai.com', onTrace: (t) => store.save(t) });
 * // OPENAI_BASE_URL=`${rec.url}/v1` node app.js
 * await rec.close();
 */
export async function startRecorder(options: RecorderOptions): Promise<Recorder> {
  // The idle-socket timer waits headersTimeoutMs: past Node's limit it would fire at once and close every connection.
  checkTimerMs(options.headersTimeoutMs, 'headersTimeoutMs');
  const fixed = options.upstream === undefined ? undefined : parseHttpUrl(options.upstream.toString(), 'the upstream');
  if (!fixed && !options.route) {
    throw new TraceForgeError('E_USAGE', 'the recorder needs an upstream: pass --upstream https://api.openai.com (or a route function)');
  }
  const host = options.host ?? '127.0.0.1';
  const route: RouteSpec = options.route
    ? (routeSpecOf(options.route) ?? { kind: 'parent' })
    : { kind: 'fixed', upstream: fixed!.toString() };
  const spec = route.kind === 'providers' ? route : undefined;
  const allowHosts = spec
    ? allowedHostsOf({ upstream: spec.upstream, overrides: spec.overrides, allowHosts: [...(spec.allowHosts ?? []), ...(options.allowHosts ?? [])] })
    : route.kind === 'parent' && options.allowHosts
      ? [...allowedHostsOf({})!, ...options.allowHosts]
      : undefined;
  const spillThreshold = options.spillThresholdBytes ?? defaultSpillThreshold();
  const maxBody = maxRequestBytes(options.maxRequestBytes);
  const calls = new Map<string, AssemblingCall>();
  const pending = new Set<Promise<void>>();
  const fail = (e: unknown): void => options.onError?.(e instanceof Error ? e : new Error(String(e)));

  /** Run onTrace; once it has settled, the proxy thread releases the end of the call's response (see hold-end.ts). */
  const deliver = (trace: Trace, id: string): void => {
    const p = (async () => {
      try {
        await options.onTrace?.(trace);
      } catch (e) {
        fail(new Error(`could not save the trace of ${trace.http.method} ${trace.http.url}: ${e instanceof Error ? e.message : String(e)}`, { cause: e }));
      }
      thread.send({ t: 'durable', id });
    })();
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };

  const onEvent = (event: ProxyEvent): void => {
    try {
      switch (event.t) {
        case 'start':
          calls.set(event.id, beginCall(event, options.redact, spillThreshold));
          return;
        case 'head': {
          const call = calls.get(event.id);
          if (call) headOf(call, event);
          return;
        }
        case 'reads': {
          let from = 0;
          for (let i = 0; i < event.ids.length; i++) {
            const call = calls.get(event.ids[i]!);
            const to = event.ends[i]!;
            if (call) readOf(call, event.bytes.subarray(from, to), event.ats[i]!);
            from = to;
          }
          return;
        }
        case 'end': {
          const call = calls.get(event.id);
          if (!call) return;
          calls.delete(event.id);
          deliver(endCall(call, event), event.id);
          return;
        }
        case 'route': {
          let url: URL | undefined;
          try {
            url = options.route?.({ method: event.method, url: event.url, headers: event.headers, destination: event.destination ? new URL(event.destination) : undefined }) ?? fixed;
          } catch (e) {
            fail(e);
          }
          thread.send({ t: 'routed', seq: event.seq, url: url?.toString() });
          return;
        }
        case 'ws-session': {
          const trace = wsTraceOf(event.session);
          deliver(trace, trace.id);
          return;
        }
        case 'error':
          fail(new Error(event.message));
          return;
      }
    } catch (e) {
      fail(e);
    }
  };

  // Spill files a killed recorder left behind (it never ran its exit hook) go now, alongside the thread's start.
  const sweeping = sweepStaleSpills().catch(() => []);
  // Events can arrive before startProxyThread resolves only for 'route' (a request during start-up); they wait for `thread`.
  let thread!: Awaited<ReturnType<typeof startProxyThread>>;
  const early: ProxyEvent[] = [];
  let ready = false;
  thread = await startProxyThread(
    {
      route,
      port: options.port ?? 0,
      host,
      https: options.https,
      upstreamCAs: options.upstreamCAs,
      allowHosts,
      holdEnd: options.holdEnd,
      requestBounds: { headersTimeoutMs: options.headersTimeoutMs, requestTimeoutMs: options.requestTimeoutMs, maxRequestBytes: maxBody } satisfies RequestBounds,
      debug: options.debug,
      stallEveryRead: testHooks.stallEveryRead,
      crashAfterReads: testHooks.crashAfterReads,
    },
    (event) => (ready ? onEvent(event) : early.push(event)),
  );
  ready = true;
  for (const e of early.splice(0)) onEvent(e);
  await sweeping;
  const port = thread.port;
  const displayHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  const settle = async (): Promise<void> => {
    while (pending.size > 0) await Promise.all([...pending]);
  };
  const flush = async (): Promise<void> => {
    if (!closing) await thread.settled();
    await settle();
  };

  return {
    url: `http://${displayHost}:${port}`,
    port,
    wsUrl: `http://${displayHost}:${thread.wsPort}`,
    flush,
    cut: () => thread.send({ t: 'cut' }),
    stopped: thread.closed().then(() => thread.failure()),
    close(closeOptions = {}) {
      closing ??= (async () => {
        thread.send({ t: 'close', graceMs: closeOptions.graceMs ?? 5000 });
        await thread.closed();
        await thread.terminate();
        await settle();
      })();
      return closing;
    },
  };
}

/** Tests only: make the proxy thread busy (traces must say their stamps may be off) or die (the recorder must say so). */
export const testHooks: { stallEveryRead?: { every: number; ms: number }; crashAfterReads?: number } = {};
