/**
 * The loop that moves virtual time. The tape's deliveries (a response's headers, each recorded chunk)
 * wait here at exact times on the app's clock; the app's own timers wait on the clock itself. Each turn
 * of the real event loop, once the app has nothing left to run, time jumps to whichever comes first:
 * the app's next timer (fired at its time) or the tape's next delivery. So a 10 s recording plays in
 * milliseconds, every gap the app measures is the recorded one, and an app timeout due inside a gap
 * fires inside it, before the chunk.
 *
 * "Nothing left to run" means: the microtasks are drained (this runs in a macrotask), no real
 * setImmediate of someone else's is queued, no file system or DNS request is in flight, and no call
 * that left the process (a holder) is waiting for its answer on the real clock. While any of those is
 * pending, timers already due still fire, but time does not jump.
 */
import { realClearTimeout, realNow, realSetImmediate, realSetTimeout } from '../util/real-timers.js';
import type { AppClock } from './fake-clock.js';
import { MinHeap } from '../util/min-heap.js';

interface TapeEvent {
  at: number;
  seq: number;
  run: () => void;
  cancelled: boolean;
  /** Runs in a turn of its own, after what was due with it has been handled by the app (a connection cut after the last bytes). */
  ownTurn: boolean;
}

/** Work of the real world a jump in time would overtake: a request of libuv's threadpool or resolver, or someone else's immediate. */
const IN_FLIGHT = new Set(['FSReqCallback', 'FSReqPromise', 'FileHandleCloseReq', 'GetAddrInfoReqWrap', 'GetNameInfoReqWrap', 'QueryReqWrap', 'Immediate', 'ConnectWrap', 'ShutdownWrap']);

export interface Driver {
  /** Time on the app's clock now. */
  now(): number;
  /**
   * Run `fn` when the app's clock reaches `at` (a `now()` time); events at the same time run in the order
   * scheduled. With `ownTurn`, the app first gets a turn to handle what came before it at that time.
   */
  at(at: number, fn: () => void, ownTurn?: boolean): { cancel(): void };
  /** Keep time from jumping (timers already due still fire) until the returned function is called. */
  pause(): () => void;
  /** A call is out of the process: time follows the wall clock until the returned function is called. */
  holdToWall(): () => void;
  /**
   * Whether the app's own timers alone may move time (a test is running). The tape's deliveries always
   * may: an app waiting for the next chunk never waits on the wall clock.
   */
  setRunning(running: boolean): void;
  stop(): void;
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}

export function createDriver(clock: () => AppClock, options: { running: boolean }): Driver {
  // Events at the same time leave in the order they were scheduled.
  const heap = new MinHeap<TapeEvent>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));
  let seq = 0;
  let pauses = 0;
  let wallHolds = 0;
  let running = options.running;
  let looping = false;
  let stopped = false;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  const head = (): TapeEvent | undefined => {
    while (heap.peek()?.cancelled) heap.pop();
    return heap.peek();
  };

  // Real work a jump would overtake: TraceForge's own processing of a call, a file or DNS request, someone's immediate.
  const busy = (): boolean => pauses > 0 || process.getActiveResourcesInfo().some((r) => IN_FLIGHT.has(r));
  let lastReal: number | undefined;
  const wallPaced = (ours: boolean, tapePlaying: boolean): boolean => wallHolds > 0 || (!running && ours && !tapePlaying);

  /** One step; returns whether there may be more to do. */
  function step(): boolean {
    const app = clock();
    const next = head();
    // The user's own fake timers (vi.useFakeTimers() in a test) TraceForge moves only while the tape plays.
    const appTimersMayMove = next !== undefined || app.ours;
    const timerAt = app.nextTimerAt();
    const now = app.precise();
    // How far time may move in this step: while a call is out of the process, or between tests (an
    // after-each hook waiting on a timer still gets it; an app's interval does not spin the clock ahead
    // while the runner works), as far as the wall clock moved: holding still would starve a call's answer
    // and a server in this process answering it, jumping would fire the app's timeouts early. While
    // real work is in flight, not at all; otherwise to whatever comes next.
    let limit = Infinity;
    if (wallPaced(app.ours, next !== undefined)) {
      const real = realNow();
      limit = now + (lastReal === undefined ? 0 : real - lastReal);
      lastReal = real;
    } else {
      lastReal = undefined;
      if (busy()) limit = now;
    }
    const tapeAt = next ? next.at : Infinity;
    const appAt = appTimersMayMove || timerAt <= now ? timerAt : Infinity;
    if (tapeAt !== Infinity && tapeAt <= appAt && tapeAt <= limit) {
      app.advanceTo(tapeAt);
      // The clock keeps whole nanoseconds: a target between two of them counts as reached.
      runDue(Math.max(app.precise(), tapeAt));
      return true;
    }
    if (appAt !== Infinity && appAt <= limit) {
      app.fireNext();
      return true;
    }
    if (limit !== Infinity && (wallHolds > 0 || timerAt !== Infinity)) {
      app.advanceTo(Math.min(limit, timerAt));
      return wallHolds > 0 || timerAt !== Infinity;
    }
    return next !== undefined || limit !== Infinity;
  }

  function runDue(now: number): void {
    let first = true;
    for (let e = head(); e && e.at <= now && (first || !e.ownTurn); e = head()) {
      first = false;
      heap.pop();
      e.run();
    }
  }

  function loop(): void {
    if (stopped) return;
    looping = true;
    // A macrotask after the app's microtasks, then one more turn for work queued by what they started.
    realSetImmediate(() => {
      if (stopped) return;
      let more: boolean;
      try {
        more = step();
      } catch (e) {
        looping = false;
        throw e;
      }
      // Following the wall clock, there is no hurry: look again in a millisecond.
      if (more && pauses === 0 && wallPaced(clock().ours, head() !== undefined)) {
        idleTimer ??= realSetTimeout(() => {
          idleTimer = undefined;
          looping = false;
          kick();
        }, 1);
        return;
      }
      if (more) return loop();
      looping = false;
      // Nothing to do now: look again shortly, as the app may start a timer at any moment (less often
      // between tests, when time follows the wall clock anyway).
      if (!idleTimer) {
        idleTimer = realSetTimeout(
          () => {
            idleTimer = undefined;
            kick();
          },
          running ? 1 : 5,
        );
      }
    });
  }

  function kick(): void {
    if (!looping && !stopped) loop();
  }

  return {
    now: () => clock().precise(),
    at(at, fn, ownTurn = false) {
      const e: TapeEvent = { at, seq: seq++, run: fn, cancelled: false, ownTurn };
      heap.push(e);
      kick();
      return {
        cancel() {
          e.cancelled = true;
        },
      };
    },
    pause() {
      pauses++;
      return once(() => {
        pauses--;
        kick();
      });
    },
    holdToWall() {
      wallHolds++;
      kick();
      return once(() => {
        wallHolds--;
        kick();
      });
    },
    setRunning(r) {
      running = r;
      if (!r) return;
      // A test starts: make sure a fake clock is on (the previous test may have called vi.useRealTimers()).
      clock();
      kick();
    },
    stop() {
      stopped = true;
      if (idleTimer) realClearTimeout(idleTimer);
    },
  };
}

/**
 * Every open virtual-clock session drives the one clock through one loop: two loops would each jump
 * the clock to their own next event, past the other's. A session gets a handle on the shared loop; its
 * events are cancelled when it stops, and the loop stops with the last one.
 */
let shared: { driver: Driver; handles: Set<{ running: boolean; clock: () => AppClock }> } | undefined;

export function acquireDriver(clock: () => AppClock, options: { running: boolean }): Driver {
  const me = { running: options.running, clock };
  if (!shared) {
    const handles = new Set<{ running: boolean; clock: () => AppClock }>();
    // The clock of a session still open (each session's clock handle is released when it closes).
    const current = (): AppClock => [...handles].at(-1)!.clock();
    shared = { driver: createDriver(current, { running: false }), handles };
  }
  const s = shared;
  s.handles.add(me);
  const sync = () => s.driver.setRunning([...s.handles].some((h) => h.running));
  sync();
  const mine = new Set<{ cancel(): void }>();
  let stopped = false;
  return {
    now: () => s.driver.now(),
    at(at, fn, ownTurn) {
      const event = s.driver.at(
        at,
        () => {
          mine.delete(event);
          fn();
        },
        ownTurn,
      );
      mine.add(event);
      return event;
    },
    pause: () => s.driver.pause(),
    holdToWall: () => s.driver.holdToWall(),
    setRunning(running) {
      me.running = running;
      sync();
    },
    stop() {
      if (stopped) return;
      stopped = true;
      for (const e of mine) e.cancel();
      s.handles.delete(me);
      if (s.handles.size === 0) {
        s.driver.stop();
        if (shared === s) shared = undefined;
      } else sync();
    },
  };
}
