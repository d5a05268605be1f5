import { randomBytes } from 'node:crypto';
import { request as httpRequest, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Server } from 'node:net';
import type * as mockttp from 'mockttp';
import { TraceForgeError } from '../errors.js';
import type { Outcome } from '../trace/types.js';
import { callStorage, type ProxyCall } from './call-context.js';
import { watchLoopDelay } from './loop-delay.js';
import { createPatchedMockttp, finishPatches, gateConnect, gateUpgrade, socketNoDelay, type ProbeResult } from './mockttp-adapter.js';
import { addressesSelf } from './self-address.js';
import type { ProxyConfig, ProxyEvent } from './proxy-messages.js';
import { announcedLength, countBodyBytes, DEFAULT_MAX_REQUEST_BYTES, tooLargeResponse, wasForwarded } from './request-bounds.js';
import { subscribeTimingTap } from './timing-tap.js';
import { skipBodyTracking } from './untracked-body.js';
import { writeThrough } from './write-through.js';
import { holdEnd, type EndHold } from './hold-end.js';
import { answerUnreachable } from './upstream-error.js';
import { hostAllowed } from './provider-routes.js';
import { describeUpstream, joinUpstream } from './upstream-url.js';

export interface Proxy {
  readonly port: number;
  /** Stop accepting calls; calls in flight get `graceMs` to finish, then are cut. Resolves once every call has been reported. */
  close(graceMs: number): Promise<void>;
  /** Cut every call in flight now, each reported with outcome recorder_shutdown. */
  cut(): void;
  /** Resolves once every call whose response was already sent to the app has been reported. */
  settled(): Promise<void>;
  /** The call is on disk: the end of its response goes to the app now. */
  durable(id: string): void;
}

export interface ProxyHooks {
  /** Every event for the recorder's thread; `transfer` lists buffers that may be moved, not copied. */
  emit(event: ProxyEvent, transfer?: ArrayBuffer[]): void;
  /** Pick the upstream for one request (undefined: no provider could be told). */
  route(req: { method: string; url: string; headers: Record<string, string | string[] | undefined>; destination?: URL }): URL | undefined | Promise<URL | undefined>;
  /** A WebSocket upgrade, routed like a request (its url now the path): the recorder's relay takes it to `upstream`. */
  upgrade?(req: IncomingMessage, socket: Duplex, head: Buffer, upstream: URL): void;
}

const PROBE_PATH = '/__traceforge_probe';

/** How long stamped reads wait on this thread before they are sent on (see readBatcher). */
export const READ_BATCH_MS = 20;
/** Sent at the next turn instead once this many bytes are waiting, so a fast stream is not held in memory. */
export const READ_BATCH_BYTES = 256 * 1024;

/**
 * Reads of every call, collected as they are stamped and sent in one message every READ_BATCH_MS:
 * one copy into a fresh buffer that is then moved (not cloned) to the recorder's thread. The stamps
 * are taken on arrival, so sending later changes no timing; sending at once (one message per
 * event-loop turn) woke the recorder's thread right after every forwarded read, and its decoding then
 * competed for the CPU with the app reading that very chunk (+0.08 ms p50 per chunk on 2 cores).
 * Every other event flushes the batch first, so the recorder's thread still sees each call in order.
 */
function readBatcher(emit: ProxyHooks['emit']): { add(id: string, at: number, chunk: Buffer): void; flush(): void; begin(): () => void } {
  let ids: string[] = [];
  let ats: number[] = [];
  let chunks: Buffer[] = [];
  let size = 0;
  let soon: NodeJS.Immediate | undefined;
  let open = 0;
  let ticker: NodeJS.Timeout | undefined;
  const flush = (): void => {
    if (soon) clearImmediate(soon);
    soon = undefined;
    if (chunks.length === 0) return;
    const bytes = new Uint8Array(size);
    const ends: number[] = [];
    let o = 0;
    for (const c of chunks) {
      bytes.set(c, o);
      o += c.length;
      ends.push(o);
    }
    emit({ t: 'reads', ids, ats, ends, bytes }, [bytes.buffer]);
    ids = [];
    ats = [];
    chunks = [];
    size = 0;
  };
  return {
    // Runs in the upstream's 'data' event, before Node writes the forwarded chunk to the app (a chunked
    // response is corked until the next tick), so it only collects: no timer is created per read or
    // per batch (a new Timeout also runs the async-hook init that AsyncLocalStorage turns on).
    add(id, at, chunk) {
      ids.push(id);
      ats.push(at);
      chunks.push(chunk);
      size += chunk.length;
      if (size >= READ_BATCH_BYTES) soon ??= setImmediate(flush);
    },
    flush,
    /** A call is in flight: reads are sent every READ_BATCH_MS until every call has ended. */
    begin() {
      if (open++ === 0) ticker = setInterval(flush, READ_BATCH_MS);
      let done = false;
      return () => {
        if (done) return;
        done = true;
        if (--open === 0) {
          clearInterval(ticker);
          ticker = undefined;
          flush();
        }
      };
    },
  };
}

function outcomeOf(call: ProxyCall): { outcome: Outcome; error?: string } {
  if (call.refused !== undefined) return { outcome: 'recorder_refused', error: call.refused };
  const upstreamError = call.upstreamError ? `${(call.upstreamError as NodeJS.ErrnoException).code ?? 'error'}: ${call.upstreamError.message}` : undefined;
  if (call.shutdown && !call.upstreamEnded) return { outcome: 'recorder_shutdown', error: 'the recorder was stopped while the call was in flight (Ctrl-C twice, or its shutdown grace ran out); the response is partial' };
  if (!call.upstreamResponse) {
    if (call.upstreamError || !call.clientAborted) return { outcome: 'upstream_unreachable', error: upstreamError ?? 'the upstream closed the connection before the response was complete' };
    return { outcome: 'client_aborted', error: 'the client closed the connection before the response was complete' };
  }
  if (call.clientAborted && !call.upstreamEnded) return { outcome: 'client_aborted', error: 'the client closed the connection before the response was complete' };
  if (call.upstreamAborted && !call.upstreamEnded) return { outcome: 'upstream_aborted', error: upstreamError ?? 'the upstream closed the connection before the response was complete' };
  return { outcome: 'complete' };
}

/**
 * The recording proxy: mockttp forwards every call live while the timing tap stamps each read. This
 * runs on its own thread (see proxy-worker.ts) and does nothing else, so nothing the recorder does with
 * what it recorded can delay a stamp.
 */
export async function startProxy(config: ProxyConfig, hooks: ProxyHooks): Promise<Proxy> {
  const host = config.host;
  const { interceptOnly, ...ca } = config.https ?? {};
  const https = config.https ? { ...ca, ...(interceptOnly ? { tlsInterceptOnly: interceptOnly.map((hostname) => ({ hostname })) } : {}) } : undefined;
  const live = new Set<ProxyCall>();
  const loop = watchLoopDelay();
  const batch = readBatcher(hooks.emit);
  const probeToken = randomBytes(12).toString('hex');
  let probed: ProbeResult | undefined;
  // Every control message first sends the reads stamped before it, so the recorder's thread sees each call's events in order.
  const emit = (event: ProxyEvent, transfer?: ArrayBuffer[]): void => {
    batch.flush();
    hooks.emit(event, transfer);
  };
  let selfPort = -1;
  // A call addressed to our own port (OPENAI_BASE_URL pointing here, even via HTTP_PROXY) is direct, not proxied.
  const isSelf = (u: URL): Promise<boolean> => addressesSelf(u, selfPort);
  const allowHosts = config.allowHosts;

  const maxBody = config.requestBounds?.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  const stall = config.stallEveryRead;
  let reads = 0;
  let crashReads = 0;
  const calls = new WeakMap<ProxyCall, () => number>();
  const batching = new WeakMap<ProxyCall, () => void>();

  /** Calls whose response end waits for the recorder's thread to say they are on disk. */
  const holds = new Map<string, EndHold>();
  /** Report a call's end to the recorder's thread, once: when its response is complete, or when it closed. */
  const finalize = (call: ProxyCall): void => {
    if (call.finished) return;
    call.finished = true;
    const loopDelay = calls.get(call)?.() ?? 0;
    batching.get(call)?.();
    // A request that never finished arriving never reached the upstream: there is no call to record.
    if (!wasForwarded(call)) return;
    const t0 = call.t0 ?? performance.now();
    const { outcome, error } = outcomeOf(call);
    emit({
      t: 'end',
      id: call.id,
      outcome,
      error,
      firstByteMs: call.firstByteMs,
      durationMs: performance.now() - call.arrivedAt,
      endMs: call.endMs ?? performance.now() - t0,
      syntheticBody: call.syntheticBody,
      syntheticStatus: call.syntheticStatus,
      maxLoopDelayMs: loopDelay,
    });
  };

  const wrap = (app: (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void) =>
    (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): void => {
      if (req.url === PROBE_PATH && req.headers['x-traceforge-probe'] === probeToken) {
        probed = { noDelay: socketNoDelay(req.socket) };
        res.writeHead(204).end();
        return;
      }
      // Refused before mockttp buffers it; a chunked body is counted as it arrives and refused in beforeRequest.
      const announced = announcedLength(req);
      if (announced !== undefined && announced > maxBody) {
        const r = tooLargeResponse(maxBody);
        req.resume();
        res.writeHead(r.statusCode, r.statusMessage, r.headers).end(r.body);
        return;
      }
      const bodyBytes = countBodyBytes(req);
      const id = randomBytes(6).toString('hex');
      const call: ProxyCall = {
        bodyBytes,
        id,
        arrivedAt: performance.now(),
        timestamp: new Date().toISOString(),
        upstream: '',
        res,
        upstreamEnded: false,
        upstreamAborted: false,
        clientAborted: false,
        shutdown: false,
        finished: false,
        onHead: (head) => emit({ t: 'head', id, ...head }),
        onRead: (at, chunk) => {
          batch.add(id, at, chunk);
          if (stall && ++reads % stall.every === 0) {
            const until = performance.now() + stall.ms;
            while (performance.now() < until);
          }
          if (config.crashAfterReads !== undefined && ++crashReads === config.crashAfterReads) {
            setImmediate(() => {
              throw new Error('crash asked for by a test (crashAfterReads)');
            });
          }
        },
      };
      calls.set(call, loop.begin());
      batching.set(call, batch.begin());
      live.add(call);
      res.on('close', () => {
        if (!res.writableFinished && !call.upstreamAborted && !call.upstreamError) call.clientAborted = true;
        live.delete(call);
        holds.delete(id);
        finalize(call);
      });
      // A response from the upstream ends for the app only once its call is on disk (see hold-end.ts).
      const hold = holdEnd(
        res,
        () => config.holdEnd !== false && call.upstreamResponse !== undefined && !call.finished && !call.upstreamAborted && !call.upstreamError && wasForwarded(call),
        () => {
          holds.set(id, hold);
          finalize(call);
        },
        () => announcedLength(call.upstreamResponse),
      );
      call.onUpstreamError = (e) => {
        call.syntheticBody = answerUnreachable(res, call.upstream || 'upstream', e);
      };
      skipBodyTracking(res);
      writeThrough(res);
      callStorage.run(call, () => app(req, res, next));
    };

  const patched = createPatchedMockttp({ http2: false, cors: false, recordTraffic: false, maxBodySize: maxBody, ...(https ? { https: https as mockttp.MockttpHttpsOptions } : {}) }, host, wrap);
  /** Answer a call ourselves instead of forwarding it, and record that answer (outcome recorder_refused). */
  const refuse = (req: { method: string; headers: Record<string, string | string[] | undefined>; body: { buffer: Buffer } }, path: string, target: string, status: number, type: string, message: string) => {
    const body = Buffer.from(JSON.stringify({ error: { type, message } }));
    const call = callStorage.getStore();
    if (call) {
      call.upstream = target;
      call.refused = message;
      call.syntheticBody = body;
      call.syntheticStatus = status;
      emit({ t: 'start', id: call.id, timestamp: call.timestamp, method: req.method, url: path, headers: { ...req.headers }, body: new Uint8Array(req.body.buffer), upstream: target });
    }
    return { response: { statusCode: status, headers: { 'content-type': 'application/json' }, body } };
  };
  const server = patched.server;
  await server.forAnyRequest().thenPassThrough({
    simulateConnectionErrors: true,
    // Connection headers describe the upstream's connection, not the app's (replay drops them too, see
    // replay/plan.ts). Forwarded, the upstream's `connection: keep-alive` overrode an app's
    // `connection: close`, and an app reading to the end of the connection waited 5 s for Node's
    // keep-alive timeout. The trace keeps the headers as the upstream sent them.
    transformResponse: { updateHeaders: { connection: undefined, 'keep-alive': undefined, 'proxy-connection': undefined } },
    ...(config.upstreamCAs?.length ? { additionalTrustedCAs: config.upstreamCAs.map((cert) => ({ cert })) } : {}),
    beforeRequest: async (req) => {
      const call = callStorage.getStore();
      // Over maxBodySize mockttp dropped what it had buffered: not forwarded, not recorded.
      if (call?.bodyBytes && call.bodyBytes() > maxBody) {
        const r = tooLargeResponse(maxBody);
        return { response: { statusCode: r.statusCode, statusMessage: r.statusMessage, headers: r.headers, body: r.body } };
      }
      const addressed = new URL(req.url);
      const path = addressed.pathname + addressed.search;
      const direct = await isSelf(addressed);
      // Routing mode is no open proxy: an app may only reach the hosts it was told about through the recorder.
      if (!direct && allowHosts && !hostAllowed(allowHosts, addressed)) {
        const message = `TraceForge forwards only to the providers' hosts and the upstreams you named; ${addressed.host} is neither: pass --allow-host ${addressed.host} to record calls to it (or --upstream ${addressed.origin} to send every call there)`;
        return refuse(req, path, addressed.origin, 403, 'traceforge_host_not_allowed', message);
      }
      const target = await hooks.route({ method: req.method, url: path, headers: req.headers, destination: direct ? undefined : addressed });
      if (!target) {
        // Nothing is forwarded (call.upstream stays empty), so nothing is recorded: the app gets the explanation.
        const message = `TraceForge cannot tell which provider ${req.method} ${path} is for: pass --upstream URL, or call a provider path (/v1/chat/completions, /v1/messages, /v1beta/models/...:streamGenerateContent, /api/chat)`;
        return { response: { statusCode: 502, json: { error: { type: 'traceforge_no_upstream', message } } } };
      }
      // The upstream is this recorder: forwarding would loop until something ran out.
      if (await isSelf(new URL(target))) {
        const message = `TraceForge would forward ${req.method} ${path} to itself (${describeUpstream(target)} is the recorder's own address): pass the provider's URL as --upstream, and point the app at the recorder`;
        return refuse(req, path, describeUpstream(target), 508, 'traceforge_loop', message);
      }
      if (call) {
        call.upstream = describeUpstream(target);
        const body = new Uint8Array(req.body.buffer);
        emit({ t: 'start', id: call.id, timestamp: call.timestamp, method: req.method, url: path, headers: { ...req.headers }, body, upstream: call.upstream });
      }
      // identity: a compressed stream could not be timed per event, and apps see the same data either way.
      const url = joinUpstream(target, path);
      return { url: url.toString(), headers: { ...req.headers, ...basicAuth(target, req.headers), host: url.host, 'accept-encoding': 'identity' } };
    },
  });

  const unsubscribe = subscribeTimingTap();
  try {
    await server.start(config.port);
  } catch (e) {
    unsubscribe();
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new TraceForgeError('E_PORT_IN_USE', `port ${config.port} on ${host} is already in use: pass --port 0 for a free port, or another port`, { cause: e });
    }
    throw e;
  }
  const inner = patched.listener();
  const address = inner.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  selfPort = port;
  if (allowHosts) guardConnect(inner, allowHosts, isSelf);
  const upgrade = hooks.upgrade;
  if (upgrade) {
    gateUpgrade(inner, (req, socket, head) => {
      void (async () => {
        // Routed as a request is: the host the app addressed through the proxy, or (at the recorder's own address) the route.
        const scheme = (socket as Partial<TLSSocket>).encrypted ? 'https' : 'http';
        const addressed = /^[a-z][a-z0-9+.-]*:\/\//i.test(req.url ?? '') ? new URL(req.url!) : new URL(req.url ?? '/', `${scheme}://${req.headers.host ?? `127.0.0.1:${port}`}`);
        const path = addressed.pathname + addressed.search;
        const direct = await isSelf(addressed);
        const refuse = (status: number, type: string, message: string) => {
          const body = JSON.stringify({ error: { type, message } });
          socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
        };
        if (!direct && allowHosts && !hostAllowed(allowHosts, addressed)) {
          return refuse(403, 'traceforge_host_not_allowed', `TraceForge forwards only to the providers' hosts and the upstreams you named; ${addressed.host} is neither: pass --allow-host ${addressed.host} to record sessions with it`);
        }
        const target = await hooks.route({ method: 'GET', url: path, headers: req.headers, destination: direct ? undefined : addressed });
        if (!target) return refuse(502, 'traceforge_no_upstream', `TraceForge cannot tell where the WebSocket session ${path} goes: pass --upstream URL`);
        if (await isSelf(new URL(target))) return refuse(508, 'traceforge_loop', `TraceForge would open the WebSocket session ${path} to itself: pass the provider's URL as --upstream`);
        req.url = path;
        upgrade(req, socket, head, target);
      })().catch(() => socket.destroy());
    });
  }
  const probe = (): Promise<ProbeResult | undefined> =>
    new Promise((resolve) => {
      const connectHost = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host.replace(/^\[|\]$/g, '');
      const req = httpRequest({ host: connectHost, port, path: PROBE_PATH, method: 'GET', headers: { 'x-traceforge-probe': probeToken }, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode === 204 ? probed : undefined));
      });
      req.on('error', () => resolve(undefined));
      req.setTimeout(5000, () => req.destroy());
      req.end();
    });
  try {
    await finishPatches(patched, host, config.requestBounds, probe);
  } catch (e) {
    await server.stop().catch(() => {});
    unsubscribe();
    throw e;
  }

  const cut = (): void => {
    for (const call of [...live]) {
      // Complete, only waiting to be on disk: released when it is (or after HOLD_END_MAX_MS), not cut.
      if (holds.has(call.id)) continue;
      call.shutdown = true;
      call.endMs ??= call.t0 === undefined ? 0 : performance.now() - call.t0;
      call.upstreamRequest?.destroy();
      call.res.destroy();
    }
  };
  let closing: Promise<void> | undefined;
  return {
    port,
    cut,
    durable(id) {
      holds.get(id)?.release();
      holds.delete(id);
    },
    async settled() {
      // A response the app has read to its end is reported when its socket's close event runs, a turn or two later.
      const sent = [...live].filter((c) => c.res.writableEnded);
      // Bounded so a flush never hangs; these calls normally report within a turn or two, 10 s covers a machine under heavy load.
      const deadline = performance.now() + 10_000;
      while (sent.some((c) => !c.finished) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 1));
      batch.flush();
    },
    close(graceMs) {
      closing ??= (async () => {
        // mockttp's stop() destroys open connections, so calls in flight get their grace first.
        const deadline = performance.now() + graceMs;
        while (live.size > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        cut();
        await server.stop().catch(() => {});
        // Calls cut above report from their close events; give those one turn to run.
        while (live.size > 0) await new Promise((r) => setTimeout(r, 5));
        batch.flush();
        loop.stop();
        unsubscribe();
      })();
      return closing;
    },
  };
}

/**
 * Refuse a CONNECT to a host that is not allowed (403, JSON) before mockttp answers it with a 200 and
 * tunnels it (TLS to a host outside interceptOnly is passed through untouched, so no request would
 * ever reach the per-request check). A CONNECT to the recorder itself, or to an allowed host, goes on.
 */
function guardConnect(server: Server, allowHosts: readonly string[], isSelf: (u: URL) => Promise<boolean>): void {
  gateConnect(server, async (req) => {
    const target = req.url ?? '';
    let url: URL | undefined;
    try {
      url = new URL(`https://${target}`);
    } catch {
      url = undefined;
    }
    if (url && (hostAllowed(allowHosts, url) || (await isSelf(url)))) return undefined;
    const message = `TraceForge forwards only to the providers' hosts and the upstreams you named; ${target || 'this CONNECT target'} is neither: pass --allow-host ${target || 'HOST:PORT'} to let calls through to it`;
    const body = JSON.stringify({ error: { type: 'traceforge_host_not_allowed', message } });
    return `HTTP/${req.httpVersion} 403 Forbidden\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
  });
}

/**
 * `--upstream http://user:pass@gateway` (a gateway behind basic auth): the credentials go to the
 * upstream as an `authorization: Basic` header, unless the app sent its own authorization. They are
 * added to the forwarded request only, so they are never in what is recorded, and `describeUpstream`
 * leaves them out of the trace's upstream.
 */
export function basicAuth(target: URL, headers: Record<string, string | string[] | undefined>): Record<string, string> {
  if (!target.username && !target.password) return {};
  if (headers.authorization !== undefined) return {};
  const user = decodeURIComponent(target.username);
  const pass = decodeURIComponent(target.password);
  return { authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` };
}
