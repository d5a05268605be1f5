import { AsyncLocalStorage } from 'node:async_hooks';
import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';

/**
 * Per-call state on the proxy thread, shared between the request wrapper, mockttp's forwarding and
 * the timing tap. mockttp handles each request inside the async context the wrapper opens, so the
 * upstream ClientRequest created for it can find its call through AsyncLocalStorage without any
 * marker header being sent upstream. It holds only what forwarding and stamping need: the frames
 * themselves are decoded on the recorder's own thread (see call-assembler.ts).
 */
export interface ProxyCall {
  id: string;
  /** performance.now() when the request arrived at the recorder. */
  arrivedAt: number;
  /** ISO time the request arrived. */
  timestamp: string;
  /** Base URL the call was forwarded to; empty until it is (a call never forwarded is not recorded). */
  upstream: string;
  res: ServerResponse;
  /** Request body bytes received so far. */
  bodyBytes?: () => number;
  /** performance.now() when the request left for upstream: when it was all written, once it is (see timing-tap.ts). */
  t0?: number;
  upstreamRequest?: ClientRequest;
  upstreamResponse?: IncomingMessage;
  upstreamError?: Error;
  /** Answers the app when the upstream cannot be reached (set by the proxy, fired by the tap). */
  onUpstreamError?: (error: Error) => void;
  /** The body we sent the app ourselves (the 502 for an unreachable upstream). */
  syntheticBody?: Uint8Array;
  /** Its status when it is not a 502. */
  syntheticStatus?: number;
  /** Why the recorder answered the call itself instead of forwarding it (a loop, a host not allowed). */
  refused?: string;
  firstByteMs?: number;
  /** When the body ended or was cut, relative to t0. */
  endMs?: number;
  /** The tap hands the response head and each read here, stamped. */
  onHead(head: { status: number; statusMessage: string; rawHeaders: Array<[string, string]>; headersMs: number }): void;
  onRead(at: number, chunk: Buffer): void;
  upstreamEnded: boolean;
  upstreamAborted: boolean;
  clientAborted: boolean;
  /** The recorder cut the call while shutting down. */
  shutdown: boolean;
  finished: boolean;
}

export const callStorage = new AsyncLocalStorage<ProxyCall>();
