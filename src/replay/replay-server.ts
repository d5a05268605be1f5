import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { TraceForgeError } from '../errors.js';
import { FORWARD_HEADER } from '../intercept/hosts.js';
import type { MatchOptions, MissExplanation } from '../cassette/match.js';
import { sendableStatusMessage } from '../trace/status-message.js';
import type { Trace } from '../trace/types.js';
import type { CassetteInput } from './interaction-source.js';
import { normalizeFaults, type Fault } from './faults.js';
import type { Playback } from './plan.js';
import { openTape, planOf, type ServedInteraction } from './tape.js';
import { createLateness, type Lateness, type LatenessSummary } from './lateness.js';
import { pieceWriter } from './piece-writer.js';
import { waitUntil } from './scheduler.js';
import { indexCassette } from '../store/cassette-index.js';
import { interactionSource, warmUpTraces } from './interaction-source.js';
import { attachWsReplay, type WsReplayOptions } from './ws-replay.js';
import { warmUp } from './warm-up.js';
import { checkTimerMs } from '../util/real-timers.js';
import { guardConnections } from '../util/connection-guard.js';

const EMPTY = Buffer.alloc(0);

export type { ServedInteraction } from './tape.js';

/** Request bodies above this are refused with 413: no recorded LLM request is that big, and it would be held in memory. */
export const MAX_REQUEST_BODY_BYTES = 32 * 1024 * 1024;

export interface ReplayServerOptions {
  /**
   * A cassette path (indexed, each interaction read from the file when it is served: memory does not
   * grow with the cassette), an index from indexCassette, a parsed cassette, or the interactions themselves.
   */
  cassette: CassetteInput;
  /** Default 0 (a free port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** 1 = recorded pace, 2 = twice as fast, 0 = no waiting. Default 1. */
  speed?: number;
  match?: MatchOptions;
  /**
   * Handle requests that match nothing (record modes forward them to a recorder). Without it,
   * a miss is answered with a 404 JSON error explaining the closest recording.
   */
  fallback?: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;
  onMiss?: (miss: MissExplanation) => void;
  /** Told of every request answered from the cassette: which interaction, and whether its framing was synthesised (a first-TraceForge trace). */
  onServe?: (served: ServedInteraction) => void;
  /** Told, one line each, what was skipped while loading a cassette path (a last interaction cut off mid-write). */
  onWarning?: (message: string) => void;
  /**
   * Deterministic faults, as `--fault` strings or objects: `drop-after=N`, `stall=K:MS`,
   * `status=CODE[:RETRY_AFTER]`, `error-event=N`, `truncate-json=N`, each optionally `@REQUEST`.
   */
  faults?: ReadonlyArray<string | Fault>;
  /**
   * A client must send its request headers within this many ms of connecting (slowloris guard; a
   * connection that sends nothing at all is closed after this too). Default 10,000.
   */
  headersTimeoutMs?: number;
  /** A client must send its whole request within this many ms. Default 30,000. */
  requestTimeoutMs?: number;
  /** WebSocket sessions: client-frame fields left out of the check (default `['event_id']`). */
  websocket?: { volatileFields?: string[] };
  /** A WebSocket upgrade with no recording (record modes send it on to the recorder); without it, a 404 and a miss. */
  upgradeFallback?: WsReplayOptions['fallback'];
}


export interface ReplayServer {
  readonly url: string;
  readonly port: number;
  /** Every request that matched nothing, in arrival order. */
  readonly misses: MissExplanation[];
  /** Indices of the interactions served, in order. */
  readonly served: number[];
  /** Interactions never served (for a cassette given by path, read from the file now). */
  unused(): Trace[];
  /** What was skipped while loading the cassette, one line each (also given to onWarning). */
  readonly warnings: readonly string[];
  /**
   * How late pieces were written against their recorded times, in ms, over every replay so far (not
   * at speed 0). A p99 of several ms means the machine was too busy for exact timing.
   */
  lateness(): LatenessSummary;
  close(): Promise<void>;
}

/** Read the request body, or null when it is over the limit (the caller answers 413). */
function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_REQUEST_BODY_BYTES) {
        req.removeAllListeners('data');
        req.resume();
        resolve(null);
      } else parts.push(c);
    });
    req.once('end', () => resolve(Buffer.concat(parts)));
    req.once('error', reject);
  });
}

async function play(plan: Playback, res: ServerResponse, start: number, speed: number, lateness: Lateness): Promise<void> {
  const gone = () => res.destroyed || res.writableEnded;
  // Time spent waiting at gates (an MCP client answering its server): what follows keeps its recorded gaps from then.
  let shift = 0;
  const when = (ms: number, extra = 0) => (speed === 0 ? start : start + ms / speed) + extra + shift;
  res.socket?.setNoDelay(true);
  await waitUntil(when(plan.headersAt), gone);
  if (gone()) return;
  res.writeHead(plan.status, plan.statusMessage === '' ? undefined : sendableStatusMessage(plan.statusMessage), plan.headers);
  // An empty Buffer sends the head as latin1, one byte per character, as recorded; flushHeaders() sends
  // it as UTF-8, which turned a reason phrase's or header's byte 0xe9 into 0xc3 0xa9. A response that
  // has no body ignores writes, so its head is flushed instead.
  res.write(EMPTY);
  if (!res.headersSent) res.flushHeaders();
  const write = pieceWriter(res);
  const pieces = plan.pieces;
  for (let i = 0; i < pieces.length; ) {
    const gate = pieces[i]!.gate;
    if (gate) {
      await untilClosed(gate, res);
      if (gone()) return;
      shift = Math.max(shift, performance.now() - when(pieces[i]!.at, pieces[i]!.extraMs));
    }
    await waitUntil(when(pieces[i]!.at, pieces[i]!.extraMs), gone);
    if (gone()) return;
    // One write per recorded frame: with Nagle off, each event leaves in its own packet, as recorded.
    // Pieces already overdue (the server fell behind) go out with it, so a late server catches up
    // in one write instead of falling further behind with one write each.
    // At speed 0 there is no schedule to fall behind: one write per piece, and no lateness to speak of.
    let j = i + 1;
    if (speed !== 0) {
      const now = performance.now();
      const lateBy = (k: number) => now - when(pieces[k]!.at, pieces[k]!.extraMs);
      lateness.add(lateBy(i));
      for (; j < pieces.length && !pieces[j]!.gate && lateBy(j) >= 0; j++) lateness.add(lateBy(j));
    }
    write(j === i + 1 ? [pieces[i]!.bytes] : pieces.slice(i, j).map((p) => p.bytes));
    i = j;
  }
  if (plan.drop) {
    // Reproduce the cut: let the written bytes drain, then close without ending the body.
    const socket = res.socket;
    if (socket) socket.end(() => socket.destroy());
    else res.destroy();
    return;
  }
  if (plan.holdOpen) await untilClosed(plan.holdOpen, res);
  if (!gone()) res.end();
}

/** Wait for `p`, or for the client to go away. */
function untilClosed(p: Promise<void>, res: ServerResponse): Promise<void> {
  if (res.destroyed) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      res.off('close', done);
      resolve();
    };
    res.once('close', done);
    void p.then(done, done);
  });
}

/**
 * Serve recorded interactions: same status, headers and body bytes, each frame at its recorded
 * offset (scaled by `speed`). Binds 127.0.0.1 by default.
 *
 * @example
 * const replay = await startReplayServer({ cassette: 'fixtures/chat.yaml' });
 * const openai = new OpenAI({ baseURL: `${replay.url}/v1`, apiKey: 'test' });
 * await replay.close();
 * // The same cassette, with the stream cut after its third chunk:
 * await startReplayServer({ cassette: 'fixtures/chat.yaml', faults: ['drop-after=3'] });
 */
export function startReplayServer(options: ReplayServerOptions): Promise<ReplayServer> {
  return serveReplay(options, createLateness());
}

/**
 * startReplayServer, adding its lateness to a given histogram (the replay thread's lives in shared memory).
 * Unless `warm` is false, it resolves only once the first request's one-time costs are paid (see warm-up.ts).
 */
export async function serveReplay(options: ReplayServerOptions, lateness: Lateness, warm = true): Promise<ReplayServer> {
  const speed = options.speed ?? 1;
  if (!(speed >= 0) || !Number.isFinite(speed)) throw new TraceForgeError('E_USAGE', `speed must be a number >= 0, got ${speed}`);
  const faults = normalizeFaults(options.faults);
  // A path is indexed here rather than in the tape, so the interactions it parsed can be planned before listening.
  const cassette = typeof options.cassette === 'string' ? await indexCassette(options.cassette) : options.cassette;
  const tape = await openTape({ cassette, match: options.match, faults, onServe: options.onServe });
  for (const w of tape.warnings) options.onWarning?.(w);
  const misses: MissExplanation[] = [];
  const host = options.host ?? '127.0.0.1';
  let requests = 0;
  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  const requestTimeout = Math.max(options.requestTimeoutMs ?? 30_000, headersTimeout);
  // The idle-socket timer waits headersTimeout: past Node's limit it would fire at once and close every connection.
  checkTimerMs(headersTimeout, 'headersTimeoutMs');

  const server = createServer({
    noDelay: true,
    keepAlive: true,
    headersTimeout,
    requestTimeout,
    // Node checks both timeouts on this interval (default 30 s), which would let a slow client linger.
    connectionsCheckingInterval: Math.min(1000, headersTimeout),
  }, (req, res) => {
    const number = ++requests;
    void (async () => {
      const body = await readBody(req);
      if (body === null) {
        const payload = JSON.stringify({ error: { type: 'traceforge_request_too_large', message: `the request body is over ${MAX_REQUEST_BODY_BYTES} bytes; TraceForge replays LLM calls, whose requests are far smaller` } });
        res.writeHead(413, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), connection: 'close' });
        res.end(payload);
        return;
      }
      const start = performance.now();
      // A call the in-process virtual replay already matched against this cassette and is recording now.
      if (options.fallback && req.headers[FORWARD_HEADER] !== undefined) return options.fallback(req, res, body);
      // Headers too: a miss explanation hides every value the request carried as a credential.
      const answer = await tape.answer({ method: req.method ?? 'GET', url: req.url ?? '/', body, headers: req.headers }, number);
      if (answer.kind === 'status') {
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body);
        return;
      }
      if (answer.kind === 'miss') {
        if (options.fallback) return options.fallback(req, res, body);
        misses.push(answer.miss);
        options.onMiss?.(answer.miss);
        const payload = JSON.stringify({ error: answer.miss });
        res.writeHead(404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
        res.end(payload);
        return;
      }
      // An interaction read from the file starts its clock once it is parsed: the read shifts the first
      // byte a little, but never squeezes the recorded gaps between chunks to catch up.
      await play(answer.plan, res, answer.loadedNow ? performance.now() : start, speed, lateness);
    })().catch((e: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { type: 'traceforge_replay_error', message: String(e) } }));
      } else res.destroy();
    });
  });

  closeIdleConnections(server, headersTimeout);
  guardConnections(server, { http: server });
  const stopSessions = attachWsReplay(server, {
    source: await interactionSource(cassette),
    speed,
    match: options.match,
    volatileFields: options.websocket?.volatileFields,
    faults,
    fallback: options.upgradeFallback,
    onMiss: (miss) => {
      misses.push(miss);
      options.onMiss?.(miss);
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') {
        reject(new TraceForgeError('E_PORT_IN_USE', `port ${options.port} on ${host} is already in use: pass --port 0 for a free port, or another port`, { cause: e }));
      } else reject(e);
    });
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  // Before the caller hears it is listening: the first call in a fresh process is as exact as the hundredth.
  if (warm && speed !== 0) {
    await warmUp({
      traces: await warmUpTraces(cassette),
      match: options.match,
      plan: planOf,
      serve: (traces, warmSpeed, match) => serveReplay({ cassette: traces, speed: warmSpeed, match }, createLateness(), false),
    });
  }
  const displayHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${displayHost}:${port}`,
    port,
    misses,
    served: tape.served,
    unused: () => tape.unused(),
    warnings: tape.warnings,
    lateness: () => lateness.summary(),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        stopSessions();
      }),
  };
}

/**
 * Close a connection that has not sent a whole request head within `boundMs` of connecting. Node's
 * headersTimeout only starts once the first byte arrives, so a socket that never sends anything would
 * otherwise hold a file descriptor forever (enough of them starve every other client). Once a request
 * has arrived, Node's own bounds take over: requestTimeout for the body, keepAliveTimeout between
 * requests, headersTimeout for a next request that has started.
 */
function closeIdleConnections(server: Server, boundMs: number): void {
  const timers = new Map<Socket, NodeJS.Timeout>();
  server.on('connection', (socket: Socket) => {
    const timer = setTimeout(() => {
      timers.delete(socket);
      if (!socket.destroyed) socket.destroy();
    }, boundMs);
    timer.unref();
    timers.set(socket, timer);
    socket.once('close', () => {
      clearTimeout(timers.get(socket));
      timers.delete(socket);
    });
  });
  const arrived = (req: IncomingMessage) => {
    const timer = timers.get(req.socket);
    if (timer === undefined) return;
    clearTimeout(timer);
    timers.delete(req.socket);
  };
  server.on('request', arrived);
  // A WebSocket upgrade is a request too, and its session may stay quiet for longer than the bound.
  server.on('upgrade', arrived);
  server.once('close', () => {
    for (const t of timers.values()) clearTimeout(t);
    timers.clear();
  });
}
