/**
 * The one adapter that patches undici's internals: dispatchers an app passes itself. The global fetch
 * is caught at the global dispatcher (fetch-dispatcher.ts), but `fetch(url, { dispatcher })`, the
 * OpenAI SDK's `fetchOptions: { dispatcher }`, `undici.request(url, { dispatcher })`, and an
 * `Agent`, `Pool`, `Client` or `ProxyAgent` of the app's own never look at it.
 *
 * Every one of them ends at an undici `Client`, the dispatcher that opens sockets (an Agent makes Pools,
 * a Pool makes Clients, a ProxyAgent makes Clients whose connector tunnels through the proxy). So the
 * patch is on the `dispatch` that `Client` inherits (DispatcherBase.prototype.dispatch), and acts only
 * when the dispatcher is a Client: the call is routed through the same decision as every other
 * (served, refused under CI, or let through to the app's own dispatcher, proxy included). Mock clients
 * (undici's MockAgent) set their own `dispatch` on the instance and are never reached, so an app's
 * undici mocks keep answering.
 *
 * The copy of undici TraceForge depends on is patched, and the one the app resolves from the working
 * directory when that is another copy. A start-up probe dispatches through a Client of each copy and
 * fails loudly if the patch did not see it.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Dispatcher } from 'undici';
import { fail, PROBE_ORIGIN, routeDispatch, type FetchDecision } from './fetch-dispatcher.js';

type Dispatch = (this: Dispatcher, options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler) => boolean;
export interface UndiciCopy {
  Agent: new (options?: object) => Dispatcher;
  Pool: new (origin: string | URL, options?: object) => Dispatcher;
  Client: new (origin: string | URL, options?: object) => Dispatcher;
}

/** Clients of TraceForge's own agents (to its local servers): never routed again. */
const own = new WeakSet<object>();

/** An undici Agent whose calls the patch leaves alone: for TraceForge's own calls to its local servers. */
export function ownAgent(undici: UndiciCopy, options: object = {}): Dispatcher {
  return new undici.Agent({
    ...options,
    factory: (origin: string | URL, opts: object) =>
      new undici.Pool(origin, {
        ...opts,
        factory: (o: string | URL, co: object) => {
          const client = new undici.Client(o, co);
          own.add(client);
          return client;
        },
      }),
  });
}

function urlSymbol(client: object): symbol | undefined {
  return Object.getOwnPropertySymbols(client).find((s) => s.description === 'url');
}

/** The URL a Client is asked for: its own origin, or the absolute path a plain-HTTP proxy is sent. */
function targetOf(client: object, options: Dispatcher.DispatchOptions): URL | undefined {
  try {
    if (/^https?:\/\//i.test(options.path)) return new URL(options.path);
    const key = urlSymbol(client);
    const origin = key ? (client as Record<symbol, URL | undefined>)[key]?.origin : options.origin === undefined ? undefined : String(options.origin);
    return origin === undefined ? undefined : new URL(options.path, origin);
  } catch {
    return undefined;
  }
}

export interface UndiciClientInterception {
  restore(): void;
}

async function copies(): Promise<UndiciCopy[]> {
  const ours = createRequire(import.meta.url);
  const found: UndiciCopy[] = [(await import('undici')) as unknown as UndiciCopy];
  // The app's own undici, when it resolves to another copy than TraceForge's.
  try {
    const theirs = createRequire(join(process.cwd(), 'noop.js')).resolve('undici');
    if (theirs !== ours.resolve('undici')) {
      const mod = (await import(pathToFileURL(theirs).href)) as UndiciCopy & { default?: UndiciCopy };
      const copy = typeof mod.Client === 'function' ? mod : mod.default;
      if (copy && typeof copy.Client === 'function' && copy.Client !== found[0]!.Client) found.push(copy);
    }
  } catch {
    // No undici of the app's own: only TraceForge's copy can be in use.
  }
  return found;
}

/**
 * Patch one copy of undici so that calls made through any of its Clients are routed by `decide`;
 * checked by a probe. Synchronous: a worker thread's seal runs it before the worker's own code.
 */
export function patchUndiciClients(undici: UndiciCopy, decide: (url: URL) => FetchDecision): UndiciClientInterception {
  const base = Object.getPrototypeOf(undici.Client.prototype) as { dispatch: Dispatch };
  const original = base.dispatch;
  if (typeof original !== 'function') throw new Error('traceforge: could not intercept undici dispatchers: this undici version has no Client dispatch to patch. Pass { intercept: false } and point the client at cassette.url.');
  // Redirected calls and recorded misses go to TraceForge's local server on an agent of this same copy,
  // which understands the handler shapes this copy's callers hand it.
  const via = ownAgent(undici);
  let probed = false;
  const Client = undici.Client;
  const patched: Dispatch = function dispatch(this: Dispatcher, options, handler) {
    if (!(this instanceof Client) || own.has(this) || !options || typeof options !== 'object' || !handler) return original.call(this, options, handler);
    const url = targetOf(this, options);
    if (!url) return original.call(this, options, handler);
    if (url.origin === new URL(PROBE_ORIGIN).origin) {
      probed = true;
      fail(handler, new Error('traceforge interception probe'));
      return true;
    }
    return routeDispatch(decide(url), url, options, handler, (o, h) => original.call(this, o, h), via);
  };
  base.dispatch = patched;
  const restore = (): void => {
    if (base.dispatch === patched) base.dispatch = original;
    void via.close().catch(() => undefined);
  };
  const probe = new undici.Client(PROBE_ORIGIN);
  probe.dispatch({ method: 'GET', path: '/' }, { onError() {}, onConnect() {}, onHeaders: () => true, onData: () => true, onComplete() {} } as unknown as Dispatcher.DispatchHandler);
  void probe.destroy().catch(() => undefined);
  if (!probed) {
    restore();
    throw new Error('traceforge: could not intercept undici dispatchers passed explicitly (the patch of Client#dispatch did not take). Pass { intercept: false } and point the client at cassette.url.');
  }
  return { restore };
}

/** Route calls made through any undici Client of the process (TraceForge's copy of undici and the app's) by `decide`. */
export async function installUndiciClientInterception(decide: (url: URL) => FetchDecision): Promise<UndiciClientInterception> {
  const done: UndiciClientInterception[] = [];
  try {
    for (const undici of await copies()) done.push(patchUndiciClients(undici, decide));
  } catch (e) {
    for (const d of done) d.restore();
    throw e;
  }
  return {
    restore() {
      for (const d of done) d.restore();
    },
  };
}
