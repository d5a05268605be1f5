import type { Server as HttpServer, IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Server, Socket } from 'node:net';
import { TraceForgeError } from '../errors.js';
import { guardConnections } from '../util/connection-guard.js';

/**
 * Bounds on how long a client may take to send a request to the recorder, so slow or stuck clients
 * (slowloris: headers trickled a byte at a time, a body that never finishes, a connection that sends
 * nothing) are closed instead of holding a socket forever.
 *
 * mockttp serves through httpolyglot: a plain net.Server that peeks at each connection's first bytes
 * and hands it to an inner http.Server that never listens. Node only starts its header and request
 * timeout checks when an http.Server starts listening, so the inner one never checks anything.
 */
export interface RequestBounds {
  /** A client must send its request headers within this many ms of its first byte. Default 10,000. */
  headersTimeoutMs?: number;
  /** A client must send its whole request (headers and body) within this many ms. Default 60,000. */
  requestTimeoutMs?: number;
  /** A request body over this many bytes is answered 413 and not forwarded. Default 32 MiB (see maxRequestBytes). */
  maxRequestBytes?: number;
}

/** The replay server's limit too: no LLM request is near it, and a body is held in memory while it records. */
export const DEFAULT_MAX_REQUEST_BYTES = 32 * 1024 * 1024;
const MAX_REQUEST_ENV = 'TRACEFORGE_MAX_REQUEST_BYTES';

/**
 * The recorder's request-size cap: `given` (startRecorder's maxRequestBytes), else TRACEFORGE_MAX_REQUEST_BYTES,
 * else 32 MiB. A value that is not a positive whole number is refused at start, not at the first call.
 */
export function maxRequestBytes(given: number | undefined, env: NodeJS.ProcessEnv = process.env): number {
  const raw = given ?? env[MAX_REQUEST_ENV];
  if (raw === undefined || raw === '') return DEFAULT_MAX_REQUEST_BYTES;
  const n = typeof raw === 'number' ? raw : /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n <= 0) {
    const where = given !== undefined ? 'maxRequestBytes' : MAX_REQUEST_ENV;
    throw new TraceForgeError('E_USAGE', `${where} must be a whole number of bytes above 0, got "${String(raw)}": for 64 MiB, set ${where}=${64 * 1024 * 1024}`);
  }
  return n;
}

/** The 413 the recorder answers for a request body over `limit`, saying how to raise it; the connection closes after it. */
export function tooLargeResponse(limit: number): { statusCode: number; statusMessage: string; headers: Record<string, string>; body: Buffer } {
  const message =
    `the request body is over ${limit} bytes, the recorder's limit: TraceForge records LLM calls, whose requests are far smaller, and holds a body in memory while it records. ` +
    `To record bigger requests, set ${MAX_REQUEST_ENV}=<bytes> for traceforge record (or maxRequestBytes in startRecorder); replay refuses bodies over ${DEFAULT_MAX_REQUEST_BYTES} bytes`;
  const body = Buffer.from(JSON.stringify({ error: { type: 'traceforge_request_too_large', message, limit } }));
  return { statusCode: 413, statusMessage: 'Payload Too Large', headers: { 'content-type': 'application/json', 'content-length': String(body.length), connection: 'close' }, body };
}

/**
 * Count a request's body bytes as they arrive, without reading it (mockttp reads it): the count is
 * taken in the request's own 'data' events. Returns the count so far.
 */
export function countBodyBytes(req: IncomingMessage): () => number {
  let size = 0;
  const emit = req.emit;
  req.emit = function (this: IncomingMessage, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'data') size += (args[0] as Buffer).length;
    return emit.call(this, event, ...args);
  } as IncomingMessage['emit'];
  return () => size;
}

/** The body length a request or response announced, or undefined (chunked, or a header that is not a number). */
export function announcedLength(message: { headers: IncomingHttpHeaders } | undefined): number | undefined {
  const value = message?.headers['content-length'];
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

export const DEFAULT_RECORDER_HEADERS_TIMEOUT_MS = 10_000;
export const DEFAULT_RECORDER_REQUEST_TIMEOUT_MS = 60_000;

interface Polyglot extends Server {
  _httpServer?: HttpServer;
}

/**
 * Apply `bounds` to the recorder's listening server (mockttp's httpolyglot server). Node's own checks
 * do the work on the inner http server; a connection that has not been handed to HTTP, TLS or HTTP/2
 * after the headers timeout (it sent nothing, or a lone `P`) is closed here. The checks stop when the
 * server closes. Returns false when the server is not the shape expected (nothing was changed).
 *
 * @example
 * // in startRecorder, once mockttp has started:
 * boundRequestTime(inner!);
 */
export function boundRequestTime(server: Server, bounds: RequestBounds = {}): boolean {
  const http = (server as Polyglot)._httpServer;
  const setup = http?.listeners('listening').find((f) => f.name === 'setupConnectionsTracking');
  if (!http || !setup) return false;
  const headersTimeout = bounds.headersTimeoutMs ?? DEFAULT_RECORDER_HEADERS_TIMEOUT_MS;
  http.headersTimeout = headersTimeout;
  http.requestTimeout = Math.max(bounds.requestTimeoutMs ?? DEFAULT_RECORDER_REQUEST_TIMEOUT_MS, headersTimeout);
  // Node checks both timeouts on this interval (default 30 s), which would let a slow client linger.
  (http as HttpServer & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.min(1000, headersTimeout);
  // What listen() would have run: creates the connection list new parsers join, and the checking interval.
  (setup as (this: HttpServer) => void).call(http);

  const handedOver = new WeakSet<Socket>();
  const seen = new WeakSet<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  // Listeners added to the polyglot server are also added to each inner server, so each can fire more than once per socket.
  const onConnection = (socket: Socket) => {
    if (seen.has(socket)) return;
    seen.add(socket);
    const timer = setTimeout(() => {
      timers.delete(timer);
      const parsed = (socket as Socket & { parser?: unknown }).parser != null;
      if (!parsed && !handedOver.has(socket) && !socket.destroyed) socket.destroy();
    }, headersTimeout);
    timer.unref();
    timers.add(timer);
    socket.once('close', () => {
      clearTimeout(timer);
      timers.delete(timer);
    });
  };
  const onSecure = (tls: Socket & { _parent?: Socket }) => {
    if (tls._parent) handedOver.add(tls._parent);
  };
  const onSession = (session: { socket?: Socket }) => {
    if (session.socket) handedOver.add(session.socket);
  };
  server.on('connection', onConnection);
  // Idle sockets past the open-files limit would shut out every client: the oldest that sent nothing go first.
  guardConnections(server);
  server.on('secureConnection', onSecure);
  server.on('session', onSession);
  server.once('close', () => {
    for (const t of timers) clearTimeout(t);
    timers.clear();
    const interval = Object.getOwnPropertySymbols(http).find((s) => s.description === 'http.server.connectionsCheckingInterval');
    if (interval) clearInterval((http as unknown as Record<symbol, NodeJS.Timeout>)[interval]);
  });
  return true;
}

/**
 * Whether a finished call should be written down: only calls that were forwarded (or tried to be). A
 * request whose body never finished arriving (the client closed first, or sent a content-length
 * larger than its body) never reached the upstream, so there is no response to record or replay.
 *
 * @example
 * // in finalize(call), before building the trace:
 * if (!wasForwarded(call)) return;
 */
export function wasForwarded(call: { upstream: string }): boolean {
  return call.upstream !== '';
}
