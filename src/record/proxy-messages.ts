import type { Outcome } from '../trace/types.js';
import type { RawWsSession } from '../ws/tape.js';
import type { RequestBounds } from './request-bounds.js';

/**
 * What the proxy thread and the recorder's own thread tell each other. The proxy thread forwards
 * and stamps; everything that costs time (decoding frames, redaction, building traces, YAML, disk)
 * happens on the other side of these messages, so it can never shift a stamp.
 * Times are milliseconds relative to the call's t0 (the request leaving for upstream).
 */

/** How the proxy thread picks an upstream; a route function cannot cross threads, so it is described or asked for. */
export type RouteSpec =
  | { kind: 'fixed'; upstream: string }
  /** createProviderRouter's options, rebuilt on the proxy thread. */
  | { kind: 'providers'; upstream?: string; overrides: Record<string, string>; allowHosts?: string[] }
  /** A user's own route function: the proxy thread asks the recorder's thread once per request. */
  | { kind: 'parent' };

/** What a proxy thread started ahead (see warmProxyThread) waits for before it starts its proxy. */
export interface ProxyStart {
  t: 'start';
  config: ProxyConfig;
}

export interface ProxyConfig {
  route: RouteSpec;
  port: number;
  host: string;
  https?: ({ keyPath: string; certPath: string } | { key: string; cert: string }) & { interceptOnly?: string[] };
  upstreamCAs?: string[];
  /**
   * The only hosts (`HOST[:PORT]`, see hostAllowed) a proxied request (absolute URL, CONNECT, a Host
   * other than the recorder's own) may be forwarded to; others get a 403. Undefined: any host.
   */
  allowHosts?: string[];
  requestBounds?: RequestBounds;
  /** Hold the end of each recorded response until the recorder's thread says the call is on disk (default true; see hold-end.ts). */
  holdEnd?: boolean;
  /** Keep mockttp's "Failed to handle request" console lines (they are noise: the call is recorded with its outcome). */
  debug?: boolean;
  /** Tests only: hold the proxy thread's loop for this long on every n-th read, to check the loop-delay measure. */
  stallEveryRead?: { every: number; ms: number };
  /** Tests only: throw an uncaught error on the proxy thread after this many reads, to check a dead proxy thread is reported. */
  crashAfterReads?: number;
}

export type ProxyEvent =
  /** `wsPort`: the WebSocket relay's (see ws-relay.ts). */
  | { t: 'ready'; port: number; wsPort: number }
  /** A WebSocket session, once both sides have closed. */
  | { t: 'ws-session'; session: RawWsSession }
  | { t: 'failed'; code: string; message: string }
  | { t: 'start'; id: string; timestamp: string; method: string; url: string; headers: Record<string, string | string[] | undefined>; body: Uint8Array; upstream: string }
  | { t: 'head'; id: string; status: number; statusMessage: string; rawHeaders: Array<[string, string]>; headersMs: number }
  /** Reads of any calls, in arrival order: `bytes` holds them back to back, `ends[i]` is where read i ends. */
  | { t: 'reads'; ids: string[]; ats: number[]; ends: number[]; bytes: Uint8Array }
  | {
      t: 'end';
      id: string;
      outcome: Outcome;
      error?: string;
      firstByteMs?: number;
      /** Arrival at the recorder -> end of the response. */
      durationMs: number;
      /** When the body ended (for an unterminated last frame). */
      endMs: number;
      /** The answer the recorder sent itself: the 502 for an unreachable upstream, a 508 loop or a 403 refused host. */
      syntheticBody?: Uint8Array;
      /** Its status, when it is not the 502. */
      syntheticStatus?: number;
      maxLoopDelayMs: number;
    }
  | { t: 'route'; seq: number; method: string; url: string; headers: Record<string, string | string[] | undefined>; destination?: string }
  | { t: 'error'; message: string }
  /** Every call whose response had been sent when the flush was asked for has been reported. */
  | { t: 'flushed'; seq: number }
  | { t: 'closed' };

export type ProxyCommand =
  | { t: 'routed'; seq: number; url?: string }
  /** Report every call whose response has been sent to the app (the app may already have it), then answer `flushed`. */
  | { t: 'flush'; seq: number }
  /** Stop accepting calls; let calls in flight finish for up to graceMs, then cut them. */
  | { t: 'close'; graceMs: number }
  /** Cut every call in flight now (a second Ctrl-C); each is recorded with outcome recorder_shutdown. */
  | { t: 'cut' }
  /** The call's trace has been handed to onTrace and onTrace has settled: release the end of its response. */
  | { t: 'durable'; id: string };
