/**
 * Wait until an absolute `performance.now()` target. Timers alone fire up to a millisecond or
 * more late, so we sleep until ~2 ms before the target and then yield with setImmediate (which
 * still lets I/O for other streams run) until the target passes. Callers schedule every chunk
 * against `start + offset`, never relative to the previous wake-up, so lateness never accumulates.
 */
const SPIN_WINDOW_MS = 2;

export function waitUntil(target: number, isCancelled: () => boolean = () => false): Promise<void> {
  return new Promise((resolve) => {
    const tick = () => {
      if (isCancelled()) return resolve();
      const left = target - performance.now();
      if (left <= 0) return resolve();
      if (left > SPIN_WINDOW_MS) setTimeout(tick, left - SPIN_WINDOW_MS);
      else setImmediate(tick);
    };
    tick();
  });
}

/** The naive replayer the benchmark compares against: chained relative sleeps. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
