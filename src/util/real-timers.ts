/**
 * The process's real timers and clocks, taken when this module loads. A virtual-clock replay
 * (src/virtual) replaces the globals with fake ones for the app under test; TraceForge's own waits
 * (file locks, the clock's own driving loop) must keep running on the machine's time, or they would
 * wait for a clock that only moves when they do.
 *
 * If some fake clock was installed before this module loaded, its originals are taken instead
 * (`@sinonjs/fake-timers`, which vitest and jest use, keeps them on the clock as `_setTimeout`...).
 */
import { TraceForgeError } from '../errors.js';

type Clocked = { clock?: Record<string, unknown> };

function original<T>(name: string, current: T): T {
  const clock = (current as Clocked | undefined)?.clock;
  const saved = clock?.[`_${name}`];
  return (typeof saved === 'function' ? saved : current) as T;
}

export const realSetTimeout: typeof setTimeout = original('setTimeout', globalThis.setTimeout);
export const realClearTimeout: typeof clearTimeout = original('clearTimeout', globalThis.clearTimeout);
export const realSetImmediate: typeof setImmediate = original('setImmediate', globalThis.setImmediate);
const perf = (globalThis.performance as unknown as Clocked).clock ? ((globalThis.performance as unknown as Clocked).clock?._performance as typeof globalThis.performance | undefined) : globalThis.performance;
// The method itself, bound: a fake clock may replace `now` on Node's own performance object.
const perfNow = (perf ?? globalThis.performance).now.bind(perf ?? globalThis.performance);
const RealDate = original('Date', globalThis.Date);

/** The machine's `performance.now()`, whatever clock the app runs on. */
export const realNow = (): number => perfNow();
/** The machine's `Date.now()`. */
export const realDateNow = (): number => RealDate.now();
/**
 * The longest delay Node's timers take (2^31 - 1 ms, about 24.8 days): a longer one fires after 1 ms with a
 * TimeoutOverflowWarning, so a wait that re-arms itself would spin.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Refuse, in one line naming the option, a duration a timer cannot wait for (undefined passes: the default applies). */
export function checkTimerMs(value: number | undefined, name: string, min = 1): void {
  if (value === undefined || (value >= min && value <= MAX_TIMER_MS)) return;
  throw new TraceForgeError('E_USAGE', `${name} must be from ${min} to ${MAX_TIMER_MS} ms (Node's timer limit, about 24.8 days), got ${value}`);
}

/** Resolve after `ms` of real time. */
export const realSleep = (ms: number): Promise<void> => new Promise((r) => realSetTimeout(r, ms));
