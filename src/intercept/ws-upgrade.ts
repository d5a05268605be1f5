/**
 * WebSocket upgrades made with node:http/node:https (the `ws` package, which OpenAI's `OpenAIRealtimeWS`
 * and `@google/genai` Live use in Node): an upgrade to a served host is opened, over plain HTTP, to the
 * cassette's local server instead, which replays the session or sends it on to the recorder.
 *
 * @mswjs/interceptors cannot carry an upgrade (its mock socket answers with a Fetch Response, and a
 * 101's socket is the session itself), so upgrades are taken before it sees them: this wraps the
 * module's `request` outside the interceptor's own wrapper and opens the redirected upgrade with the
 * `request` that was there before the interceptor was applied. `ws` reads `https.request` when it
 * connects, so an app need not be changed.
 */
import http from 'node:http';
import https from 'node:https';
import { syncBuiltinESMExports } from 'node:module';
import type { Duplex } from 'node:stream';
import type { FetchDecision } from './fetch-dispatcher.js';
import { ORIGIN_HEADER } from './hosts.js';

type RequestFn = typeof http.request;

const once = (f: () => void): (() => void) => {
  let done = false;
  return () => {
    if (!done) (done = true), f();
  };
};

export interface WsUpgradeInterception {
  /** Wrap the request functions in place now (call after the node:http interceptor was applied). */
  apply(): void;
  restore(): void;
}

function isUpgrade(headers: unknown): boolean {
  if (!headers || typeof headers !== 'object') return false;
  for (const [k, v] of Object.entries(headers as Record<string, unknown>)) if (k.toLowerCase() === 'upgrade' && String(v).toLowerCase() === 'websocket') return true;
  return false;
}

/** Take the functions to open redirected upgrades with now, before the node:http interceptor replaces them. */
export function prepareWsUpgradeInterception(decide: (url: URL) => FetchDecision): WsUpgradeInterception {
  const plain = http.request;
  let applied: Array<{ mod: typeof http | typeof https; was: RequestFn }> = [];
  const wrap = (mod: typeof http | typeof https, secure: boolean): RequestFn => {
    const inner = mod.request;
    const wrapped = function (this: unknown, ...args: unknown[]) {
      const opts = args[0];
      // `ws` passes one options object with the upgrade headers; anything else is not ours.
      if (args.length === 1 && opts && typeof opts === 'object' && !(opts instanceof URL) && isUpgrade((opts as http.RequestOptions).headers)) {
        const o = opts as http.RequestOptions & { createConnection?: unknown };
        const host = o.hostname ?? o.host ?? 'localhost';
        const port = o.port ?? (secure ? 443 : 80);
        const origin = `${secure ? 'https' : 'http'}://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
        // Joined as text: a path starting with `//` (@google/genai's URLs have one) is not a host.
        const url = new URL(`${origin}${o.path ?? '/'}`);
        const d = decide(url);
        // Under the virtual clock a session still replays from the local server, on the wall clock.
        if (d.kind === 'redirect' || d.kind === 'serve') {
          const target = new URL(d.origin);
          const { createConnection: _c, agent: _a, servername: _s, ...rest } = o as http.RequestOptions & { servername?: string };
          const req = plain({
            ...rest,
            protocol: 'http:',
            host: target.hostname,
            hostname: target.hostname,
            port: target.port,
            headers: { ...o.headers, ...(d.kind === 'redirect' ? d.headers : { [ORIGIN_HEADER]: url.origin }), host: url.host },
          });
          if (d.kind === 'serve') {
            // A session's frames come over a socket, on the wall clock: the virtual clock follows it while the session is open.
            const release = once(d.replay.driver.holdToWall());
            req.once('upgrade', (_res, socket: Duplex) => socket.once('close', release));
            req.once('response', release);
            req.once('error', release);
          }
          return req;
        }
        if (d.kind === 'error') {
          const req = plain({ host: '127.0.0.1', port: 9, path: '/' });
          req.destroy(d.error);
          return req;
        }
      }
      return (inner as (...a: unknown[]) => http.ClientRequest).apply(this, args);
    } as RequestFn;
    applied.push({ mod, was: inner });
    return wrapped;
  };
  return {
    apply() {
      http.request = wrap(http, false);
      https.request = wrap(https, true);
      syncBuiltinESMExports();
    },
    restore() {
      for (const { mod, was } of applied.reverse()) mod.request = was;
      applied = [];
      syncBuiltinESMExports();
    },
  };
}
