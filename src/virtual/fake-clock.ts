/**
 * The one adapter between TraceForge and `@sinonjs/fake-timers`, the fake clock vitest's and jest's
 * fake timers are built on. It installs a clock on the app's globals (timers, `Date`, `performance`,
 * `process.hrtime`, `node:timers` and `node:timers/promises`), or adopts the clock a user already
 * installed with `vi.useFakeTimers()` / `jest.useFakeTimers()`, so there is only ever one clock.
 *
 * Besides the public API (`tick`, `next`, `now`), two things are read that fake-timers does not
 * document, and both are checked when the clock is acquired: its timer table (`clock.timers`, to see
 * when the app's next timer is due, without firing it) and that `performance.now()` carries the
 * clock's sub-millisecond part (which `tick` keeps when given fractions), so that a chunk recorded
 * 12.345 ms after the last one is measured by the app as 12.345 ms, not 12 or 13.
 */
import FakeTimers from '@sinonjs/fake-timers';
import { TraceForgeError } from '../errors.js';

/** The parts of a fake-timers clock used here (vitest's bundled copy and the npm package have the same shape). */
export interface Clock {
  now: number;
  tick(ms: number): number;
  next(): number;
  setTimeout(fn: () => void, ms?: number): unknown;
  clearTimeout(id: unknown): void;
  countTimers(): number;
  timers?: Map<unknown, TimerEntry> | Record<string, TimerEntry>;
  performance?: { now(): number };
  uninstall?(): unknown;
}

interface TimerEntry {
  callAt: number;
}

export interface AppClock {
  readonly clock: Clock;
  /** Installed by TraceForge (true) or the user's own fake timers (false). */
  readonly ours: boolean;
  /** Time on this clock in ms, with its sub-millisecond part. */
  precise(): number;
  /** Move to `target` (a `precise()` time), firing every app timer due by then. */
  advanceTo(target: number): void;
  /** When the app's earliest timer fires (a `precise()` time), or Infinity. */
  nextTimerAt(): number;
  /** Fire the app's earliest timer at its time. */
  fireNext(): void;
}

/** What TraceForge fakes when it installs the clock itself (nextTick and queueMicrotask stay real: they are not time). */
const TO_FAKE = ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'Date', 'performance', 'hrtime'] as const;

/** The clock TraceForge put on (its own or the runner's), shared by every open virtual session. */
let installed: { clock: Clock; users: number; restore: () => void } | undefined;

/**
 * `AbortSignal.timeout(ms)` runs on Node's internal timers, which no fake clock reaches: an SDK
 * timeout built on it would fire on the wall clock. While a virtual clock is in use it is replaced by
 * the same signal driven by whatever `setTimeout` the globals hold now (the fake one).
 */
let abortTimeout: { users: number; original: typeof AbortSignal.timeout } | undefined;
function driveAbortSignalTimeout(): () => void {
  if (!abortTimeout) {
    const original = AbortSignal.timeout;
    abortTimeout = { users: 0, original };
    AbortSignal.timeout = function timeout(ms: number): AbortSignal {
      const controller = new AbortController();
      globalThis.setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms);
      return controller.signal;
    };
  }
  abortTimeout.users++;
  let done = false;
  return () => {
    if (done || !abortTimeout) return;
    done = true;
    if (--abortTimeout.users === 0) {
      AbortSignal.timeout = abortTimeout.original;
      abortTimeout = undefined;
    }
  };
}

/** The fake clock on the globals now, if any (fake-timers marks what it installs with `.clock`). */
function currentFake(): Clock | undefined {
  const c = (globalThis.setTimeout as unknown as { clock?: Clock }).clock;
  return c && typeof c.tick === 'function' && typeof c.next === 'function' ? c : undefined;
}

function timerList(clock: Clock): Iterable<TimerEntry> {
  const t = clock.timers;
  if (!t) return [];
  // Not `instanceof Map`: under jest the clock lives in the outer realm, whose Map is another class.
  return typeof (t as Map<unknown, TimerEntry>).values === 'function' && typeof (t as Map<unknown, TimerEntry>).get === 'function' ? (t as Map<unknown, TimerEntry>).values() : Object.values(t);
}

const MODULO = 1e6;
let epoch: number | undefined;
/** The sub-millisecond part fake-timers keeps from a fractional tick, computed as it does (whole nanoseconds). */
function nanoRemainder(ms: number): number {
  const r = (ms * 1e6) % MODULO;
  return Math.floor(r < 0 ? r + MODULO : r);
}

function wrap(clock: Clock, ours: boolean): AppClock {
  // fake-timers keeps the nanoseconds of fractional ticks privately; they are mirrored here. Only this
  // driver ticks by fractions, so the mirror stays exact; it starts from what performance.now() shows.
  let nanos = 0;
  const perf = clock.performance?.now();
  if (perf !== undefined) nanos = Math.round((perf - Math.floor(perf)) * 1e6) % MODULO;
  // Relative to one epoch for the process: at Date.now() magnitudes (1.8e12) a double keeps only a quarter
  // of a microsecond, and adding 43.9 ms would come out 0.1 µs short. A clock switched mid-session
  // (vi.useFakeTimers() in a test) starts from the previous one's Date.now(), so one epoch serves both.
  epoch ??= clock.now;
  const base = epoch;
  const precise = () => clock.now - base + nanos / 1e6;
  // fake-timers schedules in whole milliseconds of clock.now. A timer set at 12.7 ms for 300 ms is due at
  // 312.7, not 312: each timer gets the sub-millisecond part the clock had when this driver first saw it,
  // which is when it was set (the part only changes when this driver moves the clock, after looking).
  const setAtNanos = new WeakMap<TimerEntry, number>();
  const earliest = (): { timer: TimerEntry; callAt: number; at: number } | undefined => {
    let best: { timer: TimerEntry; callAt: number; at: number } | undefined;
    for (const t of timerList(clock)) {
      let n = setAtNanos.get(t);
      if (n === undefined) setAtNanos.set(t, (n = nanos));
      const at = Math.max(t.callAt - base + n / 1e6, clock.now - base + nanos / 1e6);
      if (!best || at < best.at || (at === best.at && t.callAt < best.callAt)) best = { timer: t, callAt: t.callAt, at };
    }
    return best;
  };
  return {
    clock,
    ours,
    precise,
    advanceTo(target) {
      // Half a nanosecond more: fake-timers keeps whole nanoseconds, rounding down; this rounds to the nearest.
      const d = target - precise() + 5e-7;
      if (!(d > 1e-6) || !Number.isFinite(d)) return;
      const total = nanos + nanoRemainder(d);
      // fake-timers fires a timer once the whole milliseconds reach it. A timer due at 312.7 reached by a
      // tick to 312.4 would fire then, early, and before a chunk due at 312.4: such timers sit out the tick
      // (their due time moved out of reach, then put back), and fire at their own time in a later step.
      const held: Array<[TimerEntry, number]> = [];
      for (const t of timerList(clock)) {
        const n = setAtNanos.get(t);
        if (n !== undefined && t.callAt - base + n / 1e6 > target + 1e-7) {
          held.push([t, t.callAt]);
          t.callAt = Infinity;
        }
      }
      // Set first: fake-timers takes its new sub-millisecond part before it fires anything, and a timer's
      // callback that asks the driver the time (a retry starting a call) must see the same.
      nanos = total % MODULO;
      try {
        clock.tick(d);
      } finally {
        for (const [t, callAt] of held) if (t.callAt === Infinity) t.callAt = callAt;
      }
    },
    nextTimerAt() {
      return earliest()?.at ?? Infinity;
    },
    fireNext() {
      const next = earliest();
      if (!next) return;
      // At its exact time when that is ahead: fake-timers fires it once the whole milliseconds reach it,
      // and by then the clock carries the timer's own sub-millisecond part.
      if (next.at > precise()) this.advanceTo(next.at);
      if (next.timer.callAt === next.callAt && [...timerList(clock)].includes(next.timer)) clock.next();
    },
  };
}

/**
 * The app's clock for a virtual-time session: the user's own fake timers if they are on, else one
 * TraceForge installs now (released with `release()`; the last release uninstalls it).
 */
/**
 * How a test runner installs its own fake timers (vitest: `vi.useFakeTimers`), so that the clock
 * TraceForge puts on is the runner's, and a test calling the runner's fake timers again gets that one
 * clock instead of "Can't install fake timers twice".
 */
export interface ClockInstaller {
  install(toFake: string[], now: number): void;
  uninstall(): void;
}
let runnerInstaller: ClockInstaller | undefined;
export function useRunnerClock(installer: ClockInstaller): void {
  runnerInstaller = installer;
}

function installClock(): { clock: Clock; restore: () => void } {
  if (runnerInstaller) {
    const r = runnerInstaller;
    r.install([...TO_FAKE], Date.now());
    const clock = currentFake();
    if (clock) return { clock, restore: () => (currentFake() === clock ? r.uninstall() : undefined) };
    r.uninstall();
  }
  const clock = FakeTimers.withGlobal(globalThis).install({ now: Date.now(), toFake: [...TO_FAKE], ignoreMissingTimers: true }) as unknown as Clock;
  return { clock, restore: () => (currentFake() === clock ? clock.uninstall?.() : undefined) };
}

export function acquireClock(): { app: () => AppClock; release: () => void } {
  let mine = false;
  // TraceForge's clock, put on the globals if no fake clock is there now.
  const ours = (): Clock => {
    if (!mine) {
      mine = true;
      installed ??= { clock: undefined as unknown as Clock, users: 0, restore: () => undefined };
      installed.users++;
    }
    if (installed!.clock === undefined || currentFake() !== installed!.clock) {
      const fresh = installClock();
      installed!.clock = fresh.clock;
      installed!.restore = fresh.restore;
      check(fresh.clock, fresh.restore);
    }
    return installed!.clock;
  };
  const theirs = currentFake();
  if (!theirs || theirs === installed?.clock) ours();
  const releaseAbort = driveAbortSignalTimeout();
  // Each call asks again: a test may turn the user's fake timers on or off while the session is open
  // (turned off, the app's clock is TraceForge's again, installed if it was not).
  let cache: AppClock | undefined;
  const app = (): AppClock => {
    const now = currentFake() ?? ours();
    if (cache?.clock !== now) cache = wrap(now, now === installed?.clock);
    return cache;
  };
  let released = false;
  return {
    app,
    release() {
      if (released) return;
      released = true;
      releaseAbort();
      if (!mine || !installed) return;
      if (--installed.users === 0) {
        const { restore } = installed;
        installed = undefined;
        restore();
      }
    },
  };
}

/** The patch took: the globals are this clock's, and its timer table and sub-millisecond time are where this adapter reads them. */
function check(clock: Clock, restore: () => void): void {
  const problems: string[] = [];
  if (currentFake() !== clock) problems.push('setTimeout is not the fake one');
  if (Date.now() !== clock.now) problems.push('Date.now() does not read the fake clock');
  const id = clock.setTimeout(() => undefined, 5);
  const seen = [...timerList(clock)].some((t) => t.callAt === clock.now + 5);
  clock.clearTimeout(id);
  if (!seen) problems.push('its timer table (clock.timers) is not readable');
  const before = globalThis.performance.now();
  clock.tick(0.25);
  const step = globalThis.performance.now() - before;
  if (Math.abs(step - 0.25) > 1e-6) problems.push(`performance.now() moved ${step} ms for a 0.25 ms tick`);
  if (problems.length > 0) {
    restore();
    installed = undefined;
    throw new TraceForgeError('E_USAGE', `clock 'virtual': @sinonjs/fake-timers did not install as expected (${problems.join('; ')}); use clock: 'wall' and report this with your Node version`);
  }
}
