import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import type { Cassette } from '../cassette/codec.js';
import type { MatchOptions, MissExplanation } from '../cassette/match.js';
import { TraceForgeError, type TraceForgeErrorCode } from '../errors.js';
import { spawnWorker } from '../util/spawn-worker.js';
import { normalizeFaults, type Fault } from './faults.js';
import { createLateness, LATENESS_BYTES, type LatenessSummary } from './lateness.js';
import type { ReplayThreadCommand, ReplayThreadConfig, ReplayThreadEvent } from './replay-messages.js';

export interface ReplayThreadOptions {
  /** A cassette path (indexed on the replay thread: memory does not grow with the cassette), or a cassette in memory. */
  cassette: string | Cassette;
  speed?: number;
  match?: MatchOptions;
  faults?: ReadonlyArray<string | Fault>;
  port?: number;
  host?: string;
  /**
   * Pass requests that match nothing to this server (the recorder's URL, in record modes). A promise lets
   * the replay thread start while the recorder is still starting; a miss waits for the URL.
   */
  forwardTo?: string | Promise<string>;
  /** Pass WebSocket upgrades that match nothing to this server (the recorder's relay); a promise as forwardTo. */
  upgradeForwardTo?: string | Promise<string>;
  /** Client-frame fields left out of the check of a WebSocket session (default `['event_id']`). */
  volatileFields?: string[];
}

/** A replay server running on a worker thread; the same reading as ReplayServer's, from the starting thread. */
export interface ReplayThread {
  readonly url: string;
  readonly port: number;
  /** Every request that matched nothing so far; a miss is here by the time its client has the 404. */
  readonly misses: MissExplanation[];
  /** What was skipped while loading the cassette, one line each. */
  readonly warnings: readonly string[];
  lateness(): LatenessSummary;
  close(): Promise<void>;
}

function matchOptions(match: MatchOptions | undefined): MatchOptions | undefined {
  // Only the fields matching reads cross the thread (anything else a caller put there may not be cloneable).
  if (!match) return undefined;
  return {
    ...(match.ignoreBodyFields ? { ignoreBodyFields: [...match.ignoreBodyFields] } : {}),
    ...(match.ignoreQueryParams ? { ignoreQueryParams: [...match.ignoreQueryParams] } : {}),
    ...(match.repeat ? { repeat: match.repeat } : {}),
    // Names and RegExps: both cross a thread.
    ...(match.redact ? { redact: match.redact } : {}),
  };
}

const failure = (code: string | undefined, message: string): Error =>
  code && /^E_[A-Z_]+$/.test(code) ? new TraceForgeError(code as TraceForgeErrorCode, message) : new TraceForgeError('E_USAGE', message);

/**
 * Start a replay server on a worker thread of its own, so a test (or the app under test) burning CPU on
 * the test's thread does not delay replayed chunks. Misses come back on a message port the reading
 * side drains synchronously; lateness is a histogram in shared memory, read without a round trip.
 */
export async function startReplayThread(options: ReplayThreadOptions): Promise<ReplayThread> {
  const speed = options.speed ?? 1;
  if (!(speed >= 0) || !Number.isFinite(speed)) throw new TraceForgeError('E_USAGE', `speed must be a number >= 0, got ${speed}`);
  // Parsed here, so a bad fault fails at the caller with its usual message.
  const faults = normalizeFaults(options.faults);
  const config: ReplayThreadConfig = {
    cassette: options.cassette,
    speed,
    match: matchOptions(options.match),
    faults,
    port: options.port,
    host: options.host,
    forwardTo: typeof options.forwardTo === 'string' ? options.forwardTo : undefined,
    upgradeForwardTo: typeof options.upgradeForwardTo === 'string' ? options.upgradeForwardTo : undefined,
    forwardLater: typeof options.forwardTo === 'object' || typeof options.upgradeForwardTo === 'object',
    ...(options.volatileFields ? { volatileFields: [...options.volatileFields] } : {}),
  };
  const shared = new SharedArrayBuffer(LATENESS_BYTES);
  const lateness = createLateness(shared);
  const channel = new MessageChannel();
  const misses: MissExplanation[] = [];
  const missPort = channel.port1;
  missPort.on('message', (m: MissExplanation) => misses.push(m));
  // A miss posted before the client's 404 may not have been delivered as an event yet: take it now.
  let open = true;
  const drain = (): MissExplanation[] => {
    if (open) for (let m = receiveMessageOnPort(missPort); m; m = receiveMessageOnPort(missPort)) misses.push(m.message as MissExplanation);
    return misses;
  };

  const worker = spawnWorker(import.meta.url, 'replay-worker', {
    workerData: { config, misses: channel.port2, lateness: shared },
    transferList: [channel.port2],
  });
  let exited = false;
  // A recorder that failed to start fails the session, which closes this thread: nothing is forwarded then.
  if (typeof options.forwardTo === 'object') options.forwardTo.then((url) => !exited && worker.postMessage({ t: 'forward', url } satisfies ReplayThreadCommand), () => undefined);
  if (typeof options.upgradeForwardTo === 'object') options.upgradeForwardTo.then((url) => !exited && worker.postMessage({ t: 'forward-upgrade', url } satisfies ReplayThreadCommand), () => undefined);
  let crashed: Error | undefined;
  let closedResolve!: () => void;
  const closed = new Promise<void>((r) => (closedResolve = r));
  const ready = await new Promise<Extract<ReplayThreadEvent, { t: 'ready' }>>((resolve, reject) => {
    worker.on('message', (event: ReplayThreadEvent) => {
      if (event.t === 'ready') resolve(event);
      else if (event.t === 'failed') reject(failure(event.code, event.message));
      else if (event.t === 'closed') closedResolve();
    });
    worker.once('error', (e) => {
      crashed = new TraceForgeError('E_USAGE', `the replay thread failed: ${e.message}`, { cause: e });
      reject(crashed);
      closedResolve();
    });
    worker.once('exit', (code) => {
      exited = true;
      reject(new TraceForgeError('E_USAGE', `the replay thread exited (code ${code}) before it was listening`));
      closedResolve();
    });
  }).catch(async (e: unknown) => {
    open = false;
    missPort.close();
    await worker.terminate();
    throw e;
  });

  let closing: Promise<void> | undefined;
  return {
    url: ready.url,
    port: ready.port,
    get misses() {
      return drain();
    },
    warnings: ready.warnings,
    lateness: () => lateness.summary(),
    close() {
      closing ??= (async () => {
        if (!exited) worker.postMessage({ t: 'close' } satisfies ReplayThreadCommand);
        await closed;
        drain();
        open = false;
        missPort.close();
        if (!exited) await worker.terminate();
        if (crashed) throw crashed;
      })();
      return closing;
    },
  };
}
