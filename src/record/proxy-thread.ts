import { TraceForgeError, type TraceForgeErrorCode } from '../errors.js';
import type { Worker } from 'node:worker_threads';
import type { ProxyCommand, ProxyConfig, ProxyEvent, ProxyStart } from './proxy-messages.js';
import { spawnWorker } from '../util/spawn-worker.js';

export interface ProxyThread {
  readonly port: number;
  /** The WebSocket relay's port. */
  readonly wsPort: number;
  send(cmd: ProxyCommand): void;
  /** Resolves once every call whose response was already sent has been reported (its events handed to onEvent). */
  settled(): Promise<void>;
  /** Resolves when the proxy thread has reported every call and stopped, or died. */
  closed(): Promise<void>;
  /** Why the proxy thread died, if it did (an uncaught error, or an exit nobody asked for). */
  failure(): Error | undefined;
  terminate(): Promise<void>;
}

/** A proxy thread started ahead, loading its modules (mockttp) until a recorder takes it. */
let warm: Worker | undefined;

/**
 * Start a proxy thread now, for the next startProxyThread of this module to take: loading mockttp, most of
 * a recorder's start-up, then overlaps with whatever runs meanwhile (a test file's imports). The thread
 * is unref'd: one never taken keeps no process alive. dropWarmProxyThread ends it.
 */
export function warmProxyThread(): void {
  if (warm) return;
  const w = spawnWorker(import.meta.url, 'proxy-worker', { workerData: { warm: true } });
  w.unref();
  const forget = (): void => {
    if (warm === w) warm = undefined;
  };
  w.once('error', forget);
  w.once('exit', forget);
  warm = w;
}

/** End a proxy thread started ahead that no recorder took. */
export function dropWarmProxyThread(): void {
  const w = warm;
  warm = undefined;
  void w?.terminate();
}

/** The thread started ahead, told to start with `config`; undefined if there is none or it has died. */
function takeWarm(config: ProxyConfig): Worker | undefined {
  const w = warm;
  warm = undefined;
  // threadId is -1 once the thread has exited, even before its 'exit' event has run.
  if (!w || w.threadId < 0) return undefined;
  w.removeAllListeners();
  w.ref();
  w.postMessage({ t: 'start', config } satisfies ProxyStart);
  return w;
}

export async function startProxyThread(config: ProxyConfig, onEvent: (event: ProxyEvent) => void): Promise<ProxyThread> {
  // Built, this runs dist/record/proxy-worker.js; from the sources (vitest), proxy-worker.ts through tsx.
  const worker = takeWarm(config) ?? spawnWorker(import.meta.url, 'proxy-worker', { workerData: config });
  let closedResolve!: () => void;
  const closed = new Promise<void>((r) => (closedResolve = r));
  let exited = false;
  let closedCleanly = false;
  let failure: Error | undefined;
  const flushes = new Map<number, () => void>();
  let flushSeq = 0;
  // Once the thread is gone there is nothing left to report: every flush waiting on it is done.
  const releaseFlushes = (): void => {
    for (const done of flushes.values()) done();
    flushes.clear();
  };
  const { port, wsPort } = await new Promise<{ port: number; wsPort: number }>((resolve, reject) => {
    worker.on('message', (event: ProxyEvent) => {
      if (event.t === 'ready') resolve({ port: event.port, wsPort: event.wsPort });
      else if (event.t === 'failed') reject(new TraceForgeError(event.code as TraceForgeErrorCode, event.message));
      else if (event.t === 'closed') {
        closedCleanly = true;
        closedResolve();
        releaseFlushes();
      } else if (event.t === 'flushed') {
        flushes.get(event.seq)?.();
        flushes.delete(event.seq);
      }
      else onEvent(event);
    });
    worker.once('error', (e) => {
      failure ??= new TraceForgeError('E_RECORDER', `the recorder's proxy thread failed: ${e.message}`, { cause: e });
      reject(failure);
      onEvent({ t: 'error', message: failure.message });
      closedResolve();
    });
    worker.once('exit', (code) => {
      exited = true;
      if (!closedCleanly) failure ??= new TraceForgeError('E_RECORDER', `the recorder's proxy thread exited (code ${code}) without being asked to`);
      releaseFlushes();
      reject(new TraceForgeError('E_RECORDER', `the recorder's proxy thread exited (code ${code}) before it was listening`));
      closedResolve();
    });
  }).catch(async (e: unknown) => {
    await worker.terminate();
    throw e;
  });
  return {
    port,
    wsPort,
    send: (cmd) => {
      if (!exited) worker.postMessage(cmd);
    },
    closed: () => closed,
    failure: () => failure,
    settled: () =>
      exited
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const seq = ++flushSeq;
            flushes.set(seq, resolve);
            worker.postMessage({ t: 'flush', seq } satisfies ProxyCommand);
          }),
    terminate: async () => {
      if (!exited) await worker.terminate();
    },
  };
}
