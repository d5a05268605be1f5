/**
 * `sweepFaults(cassette)`: every fault worth running against a recorded stream, for `describe.each`.
 * Synchronous, so it can run at a test file's top level: the cassette is read and parsed once per call.
 */
import { irregularKind } from '../util/regular-file.js';
import { MAX_TIMER_MS } from '../util/real-timers.js';
import { readFileSync, statSync } from 'node:fs';
import { parseCassette } from '../cassette/codec.js';
import { TraceForgeError } from '../errors.js';
import { cassetteFsError, checkCassettePath } from '../store/cassette-fs.js';
import type { Trace } from '../trace/types.js';
import { shortText } from '../util/one-line.js';
import { faultsForTrace, parseKinds, streamedChunks, type PointOptions, type SweepFault, type SweepKind } from './points.js';

export { DEFAULT_BUDGET, DEFAULT_STALL_MS, DEFAULT_VIRTUAL_STALL_MS, DEFAULT_STATUSES, SWEEP_KINDS, type SweepFault, type SweepKind } from './points.js';

export interface SweepOptions extends Omit<PointOptions, 'kinds'> {
  /** Kinds to sweep (array or `'drop-after,stall'`). Default: status, drop-after, truncate-json, error-event, stall. */
  kinds?: readonly SweepKind[] | string;
  /**
   * Which interaction of the cassette the fault points come from, from 1. Default: the first that streamed.
   * The faults apply to request `request`, which defaults to this interaction's number (an app that
   * makes its calls in the recorded order sends it as that request).
   */
  interaction?: number;
}

export interface SweepTarget {
  /** Every interaction of the cassette, parsed. */
  interactions: Trace[];
  /** The interaction the points come from, from 1. */
  interaction: number;
  trace: Trace;
  faults: SweepFault[];
}

/** Read a cassette synchronously and pick the streamed interaction a sweep is about. */
export function loadSweepTarget(cassettePath: string, options: SweepOptions = {}): SweepTarget {
  checkCassettePath(cassettePath);
  let text: string;
  try {
    // Not opened unless a regular file: reading a FIFO would block this thread for good.
    const kind = irregularKind(statSync(cassettePath));
    if (kind === 'a directory') throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (kind) throw new TraceForgeError('E_CASSETTE_INVALID', `${shortText(cassettePath)} is ${kind}, not a regular file: pass the path of a .yaml cassette`);
    text = readFileSync(cassettePath, 'utf8');
  } catch (e) {
    if (e instanceof TraceForgeError) throw e;
    throw cassetteFsError(cassettePath, e, 'read');
  }
  const interactions = parseCassette(text, cassettePath).interactions;
  let index: number;
  if (options.interaction !== undefined) {
    if (!Number.isInteger(options.interaction) || options.interaction < 1 || options.interaction > interactions.length) {
      throw new TraceForgeError('E_USAGE', `interaction ${options.interaction} is not in ${shortText(cassettePath)}, which has ${interactions.length} (count from 1)`);
    }
    index = options.interaction - 1;
    if (!streamedChunks(interactions[index]!)) {
      throw new TraceForgeError('E_USAGE', `interaction ${options.interaction} of ${shortText(cassettePath)} did not stream: a sweep needs SSE or NDJSON events to break`);
    }
  } else {
    index = interactions.findIndex((t) => streamedChunks(t) !== undefined);
    if (index < 0) {
      throw new TraceForgeError('E_USAGE', `${shortText(cassettePath)} has no streamed interaction (${interactions.length} interaction(s), none with SSE or NDJSON events): a sweep needs a stream to break`);
    }
  }
  const kinds = options.kinds === undefined ? undefined : parseKinds(options.kinds);
  if (options.budget !== undefined && !(Number.isInteger(options.budget) && options.budget >= 1)) {
    throw new TraceForgeError('E_USAGE', `budget must be a whole number >= 1, got ${options.budget}`);
  }
  if (options.request !== undefined && !(Number.isInteger(options.request) && options.request >= 1)) {
    throw new TraceForgeError('E_USAGE', `request must be a whole number >= 1 (requests count from 1), got ${options.request}`);
  }
  if (options.stallMs !== undefined && !(Number.isInteger(options.stallMs) && options.stallMs >= 0 && options.stallMs <= MAX_TIMER_MS)) {
    throw new TraceForgeError('E_USAGE', `stallMs must be a whole number of ms from 0 to ${MAX_TIMER_MS} (Node's timer limit), got ${options.stallMs}`);
  }
  const trace = interactions[index]!;
  const faults = faultsForTrace(trace, { ...options, kinds, request: options.request ?? index + 1 });
  return { interactions, interaction: index + 1, trace, faults };
}

/**
 * The faults worth running against the first streamed interaction of a cassette (or `interaction`):
 * each kind at the positions where it changes what the app sees, plus evenly spaced ones up to
 * `budget` per kind, on the first request only (`request`), in a fixed order, each with a readable
 * `name`. Each is a Fault: pass it as `useCassette(path, { faults: [fault] })`.
 *
 * @example
 * // '%s' titles each block with the fault's whole name, e.g. `drop-after=12 (inside tool call "get_weather" arguments)`.
 * describe.each(sweepFaults('fixtures/chat.yaml'))('%s', (fault) => {
 *   const cassette = useCassette('fixtures/chat.yaml', { faults: [fault] });
 *   it('still answers (the retry gets the recording)', async () => {
 *     expect(await ask(cassette.url, { maxRetries: 2 })).toBe('Hello!');
 *   });
 * });
 */
export function sweepFaults(cassettePath: string, options: SweepOptions = {}): SweepFault[] {
  return loadSweepTarget(cassettePath, options).faults;
}
