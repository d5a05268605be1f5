import { createRequire } from 'node:module';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server, Socket } from 'node:net';
import type * as mockttp from 'mockttp';
// First: what mockttp loads but the recorder seldom uses is required on first use (see mockttp-lazy.ts).
import './mockttp-lazy.js';
// The server class alone: mockttp's main module also loads its admin server and remote client (GraphQL,
// express, subscriptions), about 200 ms of a recording session's start that the recorder never uses.
import { MockttpServer } from 'mockttp/dist/server/mockttp-server';
import { TraceForgeError } from '../errors.js';
import { disablePortLoopCheck } from './loop-check.js';
import { boundRequestTime, type RequestBounds } from './request-bounds.js';

/**
 * Every place TraceForge reaches into mockttp's internals, in one module. Each patch is checked once
 * the server has started; if one did not take (a mockttp upgrade moved what it relies on), the
 * recorder refuses to start instead of silently losing a guard (the slowloris bound, the loopback
 * port-reuse fix, the per-call context, the interface it binds).
 *
 * Tested with mockttp 4.6.3 (the version package.json pins).
 */
export const MOCKTTP_TESTED = '4.6.3';

type RequestListener = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

export interface PatchedMockttp {
  server: mockttp.Mockttp;
  /** The listening server mockttp created (httpolyglot's net.Server). */
  listener(): Server;
}

function mockttpVersion(): string {
  try {
    return (createRequire(import.meta.url)('mockttp/package.json') as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function patchFailed(what: string): TraceForgeError {
  return new TraceForgeError(
    'E_MOCKTTP',
    `mockttp ${mockttpVersion()} is not what TraceForge patches (${what}); TraceForge is tested with mockttp ${MOCKTTP_TESTED}: install that version (npm i mockttp@${MOCKTTP_TESTED})`,
  );
}

/**
 * A mockttp server whose request listener is `wrap(app)` (so each request can run in its own async
 * context) and which listens on `host` only (mockttp's start() has no host parameter and would listen
 * on every interface).
 */
export function createPatchedMockttp(options: mockttp.MockttpOptions, host: string, wrap: (app: RequestListener) => RequestListener): PatchedMockttp {
  const server: mockttp.Mockttp = new MockttpServer(options);
  const internals = server as unknown as { app?: RequestListener; server?: Server };
  if (typeof internals.app !== 'function') throw patchFailed('its request listener `app` is missing');
  // mockttp reads `this.app` when it starts, so the wrapper is what its HTTP server calls.
  internals.app = wrap(internals.app);
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
  return {
    server,
    listener: () => {
      if (!inner) throw patchFailed('its listening server is not where it used to be');
      return inner;
    },
  };
}

export interface ProbeResult {
  /** Whether the probe's socket to the recorder had TCP_NODELAY set (undefined: Node's field for it was not found). */
  noDelay: boolean | undefined;
}

/** Whether Node set TCP_NODELAY on this socket (net.Socket keeps it under a private symbol); undefined if that field is not there. */
export function socketNoDelay(socket: unknown): boolean | undefined {
  const key = Object.getOwnPropertySymbols(socket).find((k) => k.description === 'kSetNoDelay');
  return key === undefined ? undefined : (socket as Record<symbol, unknown>)[key] === true;
}

/**
 * The patches that need a started server: the request-time bounds and the port-loop check. Then every
 * patch is checked. `probe` proves the wrapped listener is on the request path (it sends one request
 * the wrapper answers itself) and reports whether that request's socket had Nagle turned off.
 */
export async function finishPatches(p: PatchedMockttp, host: string, bounds: RequestBounds | undefined, probe: () => Promise<ProbeResult | undefined>): Promise<void> {
  const inner = p.listener();
  const address = inner.address();
  const bound = typeof address === 'object' && address ? address.address : '';
  const wanted = host === 'localhost' ? ['127.0.0.1', '::1'] : [host.replace(/^\[|\]$/g, '')];
  if (!wanted.includes(bound)) throw patchFailed(`it listens on ${bound || 'an unknown address'}, not on ${host}`);
  // mockttp's inner http server never listens, so Node would never time out a slowloris client.
  if (!boundRequestTime(inner, bounds)) throw patchFailed('its inner HTTP server cannot be given request timeouts, so slow clients could hold sockets forever');
  // On loopback mockttp's port-based loop check fails real calls (see loop-check.ts).
  if (disablePortLoopCheck(p.server) < 1) throw patchFailed('its passthrough loop check could not be adjusted, so calls could fail as false loops under load');
  // httpolyglot's net.Server is built without options and the inner http.Server never listens, so
  // Node's noDelay default never applies to app sockets: mockttp's own 'connection' handler turns
  // Nagle off. Without it a frame written while the previous one is unacknowledged waits for the ACK.
  const probed = await probe();
  if (!probed) throw patchFailed('the per-call request wrapper is not on its request path');
  if (probed.noDelay === false) throw patchFailed('app-facing sockets still have Nagle on (each frame written during an unacknowledged one would wait for its ACK)');
}

/**
 * Put `decide` in front of mockttp's CONNECT handling on its listening server: it answers with the raw
 * HTTP response to send (and the tunnel is never opened), or undefined to let mockttp handle the
 * CONNECT as usual. mockttp's own 'connect' listeners are moved behind it; if it has none, it no
 * longer handles CONNECT there, and the recorder refuses to start rather than tunnel unchecked.
 */
export function gateConnect(server: Server, decide: (req: IncomingMessage) => Promise<string | undefined>): void {
  const listeners = server.listeners('connect') as Array<(req: IncomingMessage, socket: Socket, head: Buffer) => void>;
  if (listeners.length === 0) throw patchFailed('it no longer handles CONNECT on its listening server, so the recorder could tunnel to any host');
  server.removeAllListeners('connect');
  server.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    void decide(req).then((answer) => {
      if (answer === undefined) {
        for (const l of listeners) l.call(server, req, socket, head);
        return;
      }
      socket.on('error', () => {});
      socket.end(answer);
    });
  });
}

/**
 * Take every WebSocket upgrade the listening server receives away from mockttp (it has no WebSocket rule,
 * and would stamp frames late, in a setImmediate) and hand it to `take`: the recorder's own relay.
 */
export function gateUpgrade(server: Server, take: (req: IncomingMessage, socket: Socket, head: Buffer) => void): void {
  if (server.listeners('upgrade').length === 0) throw patchFailed('it no longer handles WebSocket upgrades on its listening server');
  server.removeAllListeners('upgrade');
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    take(req, socket, head);
  });
}
