/**
 * The one adapter between TraceForge and the global `fetch`: a dispatcher installed with undici's
 * `setGlobalDispatcher` that sends calls to intercepted hosts to a local server instead.
 *
 * Node 20's global fetch runs on the undici bundled inside Node (6.x), not on the npm `undici` 7 this
 * package depends on. They meet at one global slot: both read the dispatcher from
 * `globalThis[Symbol.for('undici.globalDispatcher.1')]`, and npm undici 7's `setGlobalDispatcher`
 * writes that slot (and its own `.2`). So a dispatcher set here is the one Node's fetch calls. Because
 * that is an agreement between two copies of a library, not an API, `installFetchInterception` checks
 * that it took: it makes one fetch to a probe address and fails loudly if the dispatcher never saw it.
 *
 * Under jest, test files run in a vm context of their own, but the `fetch` they see is Node's, from the
 * main realm: it reads the slot on the main realm's global object, not on the context's `globalThis`
 * (where npm undici, loaded inside the context, would write it). So the slot is written on the global
 * of the realm `globalThis.fetch` comes from (found through its `Function` constructor); when that is
 * this realm, as outside jest, through npm undici's own get/setGlobalDispatcher.
 *
 * npm undici is imported only once Node's own fetch has set its dispatcher (a `data:` fetch does that):
 * importing undici 7 into a process whose slot is still empty would put undici 7's Agent under every
 * fetch of the process, interception or not.
 *
 * Requests keep the handler Node's fetch gave them; this dispatcher only rewrites `origin` (and adds
 * one header) and hands the call to the dispatcher that was global before, so the bytes of the answer
 * and their timing reach the app as the local server sends them.
 */
import type { Dispatcher } from 'undici';
import type { VirtualReplay } from '../virtual/virtual-replay.js';
import { handlerSink, headerRecord, readDispatchBody } from './in-process.js';

/** What to do with one outgoing call. */
export type FetchDecision =
  /** Let it go out; `leaving`, under a virtual clock, makes it follow the wall clock until the returned release is called. */
  | { kind: 'pass'; leaving?: () => () => void }
  | { kind: 'redirect'; origin: string; headers: Record<string, string> }
  /** Answer it in-process on the virtual clock; a miss to be recorded goes to `origin` with `headers` (which mark it for the recorder). */
  | { kind: 'serve'; replay: VirtualReplay; origin: string; headers: Record<string, string> }
  | { kind: 'error'; error: Error };

export const PROBE_ORIGIN = 'http://traceforge-intercept-check.invalid';

type Headers = Dispatcher.DispatchOptions['headers'];

/** Add headers to the shapes undici accepts: a flat [k, v, ...] array, [k, v] pairs, an object or an iterable. */
function withHeaders(headers: Headers, extra: Record<string, string>): Headers {
  const add = Object.entries(extra);
  if (headers == null) return Object.fromEntries(add);
  if (Array.isArray(headers)) {
    const flat = headers as unknown[];
    if (flat.length > 0 && Array.isArray(flat[0])) return [...(flat as Array<[string, string]>), ...add] as unknown as Headers;
    return [...(flat as string[]), ...add.flat()] as Headers;
  }
  if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') return [...(headers as Iterable<[string, string]>), ...add] as unknown as Headers;
  return { ...(headers as Record<string, string>), ...extra };
}

export function fail(handler: Dispatcher.DispatchHandler, error: Error): void {
  // Node 20's fetch hands a handler of undici 6's shape (onError); undici 7's own callers use onResponseError.
  const h = handler as Dispatcher.DispatchHandler & { onError?: (e: Error) => void; onResponseError?: (c: unknown, e: Error) => void };
  queueMicrotask(() => {
    if (typeof h.onError === 'function') h.onError(error);
    else h.onResponseError?.(undefined, error);
  });
}

/** The same handler, calling `release` once the call is over, however it ends. */
function releasing(handler: Dispatcher.DispatchHandler, release: () => void): Dispatcher.DispatchHandler {
  const h = handler as Record<string, unknown>;
  const wrap = (name: string) => {
    const fn = h[name];
    if (typeof fn !== 'function') return undefined;
    return (...args: unknown[]) => {
      release();
      return (fn as (...a: unknown[]) => unknown).apply(handler, args);
    };
  };
  return new Proxy(handler, {
    get(target, prop, receiver) {
      if (prop === 'onComplete' || prop === 'onError' || prop === 'onResponseEnd' || prop === 'onResponseError') return wrap(prop);
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

/**
 * Carry out a decision for one undici dispatch: `pass` sends it on as the app made it, a redirect or a
 * recorded miss goes to a local server through `via` (a dispatcher of TraceForge's own), `serve` answers
 * it in-process on the virtual clock. Shared by the global fetch and by dispatchers an app passes itself.
 */
export function routeDispatch(
  d: FetchDecision,
  url: URL,
  options: Dispatcher.DispatchOptions,
  handler: Dispatcher.DispatchHandler,
  pass: (options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler) => boolean,
  via: Dispatcher,
): boolean {
  if (d.kind === 'pass') return pass(options, d.leaving ? releasing(handler, d.leaving()) : handler);
  if (d.kind === 'error') {
    fail(handler, d.error);
    return true;
  }
  if (d.kind === 'redirect') return via.dispatch({ ...options, origin: d.origin, headers: withHeaders(options.headers, d.headers) }, handler);
  const { sink, start, fail: failWith } = handlerSink(handler);
  let body: Promise<Buffer> | undefined;
  const read = () => (body ??= readDispatchBody(options.body));
  d.replay
    .respond({ method: options.method, url, headers: headerRecord(options.headers), body: read }, sink)
    .then(async (playing) => {
      if (playing !== 'forward') return start(() => playing.cancel());
      // A call the tape has no recording of, in a mode that records: to the session's server for real.
      const release = d.replay.leaving(url, 'recorded');
      via.dispatch({ ...options, body: await read(), origin: d.origin, headers: withHeaders(options.headers, d.headers) }, releasing(handler, release));
    })
    .catch((e: unknown) => failWith(e instanceof Error ? e : new Error(String(e))));
  return true;
}

const SLOT_1 = Symbol.for('undici.globalDispatcher.1');
const SLOT_2 = Symbol.for('undici.globalDispatcher.2');

/** The global object of the realm a function was made in (another one than ours under jest's vm contexts). */
function realmOf(fn: unknown): object {
  try {
    const Fn = (Object.getPrototypeOf(fn) as { constructor?: unknown } | null)?.constructor;
    if (typeof Fn === 'function' && Fn !== Function) {
      const g = (Fn as FunctionConstructor)('return globalThis')() as unknown;
      if (typeof g === 'object' && g !== null) return g;
    }
  } catch {
    // Code generation refused, or a proxy: keep this realm; the probe below tells whether it took.
  }
  return globalThis;
}

export interface FetchInterception {
  /** Put back the dispatcher that was global before. */
  restore(): void;
}

type Undici = typeof import('undici');

/** A dispatcher that routes each call through `decide`, handing what passes to `inner`. */
export function interceptingDispatcher(undici: Undici, inner: Dispatcher, decide: (url: URL) => FetchDecision): Dispatcher & { probed: boolean } {
  const InterceptingDispatcher = class extends undici.Dispatcher {
    probed = false;
    constructor(
      private readonly inner: Dispatcher,
      private readonly decide: (url: URL) => FetchDecision,
    ) {
      super();
    }

    override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
      const origin = options.origin === undefined ? undefined : String(options.origin);
      if (origin === undefined) return this.inner.dispatch(options, handler);
      if (origin.startsWith(PROBE_ORIGIN)) {
        this.probed = true;
        fail(handler, new Error('traceforge interception probe'));
        return true;
      }
      let url: URL;
      try {
        url = new URL(options.path, origin);
      } catch {
        return this.inner.dispatch(options, handler);
      }
      return routeDispatch(this.decide(url), url, options, handler, (o, h) => this.inner.dispatch(o, h), this.inner);
    }

    // The dispatcher underneath is shared with the rest of the process: closing this one never closes it.
    override close(): Promise<void>;
    override close(callback: () => void): void;
    override close(callback?: () => void): Promise<void> | void {
      if (callback) return void queueMicrotask(callback);
      return Promise.resolve();
    }
    override destroy(): Promise<void>;
    override destroy(err: Error | null): Promise<void>;
    override destroy(callback: () => void): void;
    override destroy(err: Error | null, callback: () => void): void;
    override destroy(a?: unknown, b?: unknown): Promise<void> | void {
      const cb = typeof a === 'function' ? a : typeof b === 'function' ? b : undefined;
      if (cb) return void queueMicrotask(cb as () => void);
      return Promise.resolve();
    }
  };
  return new InterceptingDispatcher(inner, decide);
}

/**
 * Route the global fetch's calls through `decide`, and check that it took.
 * @example const f = await installFetchInterception((url) => url.hostname === 'api.openai.com' ? { kind: 'redirect', origin: replay.url, headers: {} } : { kind: 'pass' });
 */
export async function installFetchInterception(decide: (url: URL) => FetchDecision): Promise<FetchInterception> {
  // Let Node's own fetch fill the global slot first (see above); a data: URL never reaches a dispatcher.
  if (typeof globalThis.fetch === 'function') await globalThis.fetch('data:,').then((r) => r.arrayBuffer()).catch(() => undefined);
  const undici = await import('undici');
  const realm = realmOf(globalThis.fetch) as Record<symbol, unknown>;
  const getGlobal = (): Dispatcher => (realm === globalThis ? undici.getGlobalDispatcher() : (realm[SLOT_1] as Dispatcher));
  const setGlobal = (d: Dispatcher): void => {
    if (realm === globalThis) return undici.setGlobalDispatcher(d);
    // What npm undici's setGlobalDispatcher does, on the other realm's global.
    for (const slot of [SLOT_2, SLOT_1]) Object.defineProperty(realm, slot, { value: d, writable: true, enumerable: false, configurable: false });
  };
  const previous = getGlobal();
  if (!previous || typeof previous.dispatch !== 'function') {
    throw new Error('traceforge: could not intercept the global fetch: it set no undici dispatcher for its realm (is globalThis.fetch replaced, e.g. by a polyfill?). Pass { intercept: false } and point the client at cassette.url instead.');
  }
  const mine = interceptingDispatcher(undici, previous, decide);
  setGlobal(mine);
  const restore = (): void => {
    // Only put the previous one back if nobody replaced ours meanwhile.
    if (getGlobal() === mine) setGlobal(previous);
  };
  try {
    await globalThis.fetch(`${PROBE_ORIGIN}/`);
  } catch {
    // The probe always fails; whether our dispatcher saw it is what counts.
  }
  if (!mine.probed) {
    restore();
    throw new Error(
      'traceforge: could not intercept the global fetch: it does not use the dispatcher set with undici\'s setGlobalDispatcher ' +
        '(is globalThis.fetch replaced, e.g. by another mocking library or a polyfill?). Pass { intercept: false } and point the client at cassette.url instead.',
    );
  }
  return { restore };
}
