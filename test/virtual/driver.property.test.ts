/**
 * The virtual clock's loop, as a property: whatever the recorded gaps and whatever timers the app sets
 * (at the start, or when a chunk arrives, for any delay), every chunk reaches the app at its recorded
 * time and every timer fires at its own due time, to the nanosecond, in time order, including a timer
 * due a fraction of a millisecond after a chunk in the same millisecond of the fake clock.
 */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { acquireClock } from '../../src/virtual/fake-clock.js';
import { acquireDriver } from '../../src/virtual/driver.js';

const gap = fc.oneof(fc.constant(0), fc.double({ min: 0.001, max: 2, noNaN: true }), fc.double({ min: 2, max: 600, noNaN: true }));

it('every chunk at its recorded time and every app timer at its due time, in order', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(gap, { minLength: 1, maxLength: 30 }),
      fc.array(fc.record({ afterChunk: fc.integer({ min: -1, max: 29 }), delay: fc.integer({ min: 0, max: 1500 }) }), { maxLength: 8 }),
      async (gaps, timers) => {
        const clock = acquireClock();
        const driver = acquireDriver(clock.app, { running: true });
        try {
          const log: Array<{ what: string; at: number; want: number }> = [];
          const t0 = performance.now();
          const arm = (when: number) => {
            for (const [i, t] of timers.entries()) {
              if (t.afterChunk !== when) continue;
              const setAt = performance.now() - t0;
              setTimeout(() => log.push({ what: `timer ${i}`, at: performance.now() - t0, want: setAt + t.delay }), t.delay);
            }
          };
          const start = driver.now();
          let at = 0;
          const done = new Promise<void>((resolve) => {
            gaps.forEach((g, i) => {
              at += g;
              const want = at;
              driver.at(start + want, () => {
                // The app handles the chunk in a microtask, as an SDK's stream reader does.
                void Promise.resolve().then(() => {
                  log.push({ what: `chunk ${i}`, at: performance.now() - t0, want });
                  arm(i);
                  if (i === gaps.length - 1) setTimeout(resolve, 2000);
                });
              });
            });
          });
          arm(-1);
          await done;
          for (const e of log) expect(Math.abs(e.at - e.want), e.what).toBeLessThan(1e-6);
          for (let i = 1; i < log.length; i++) expect(log[i]!.at).toBeGreaterThanOrEqual(log[i - 1]!.at - 1e-9);
        } finally {
          driver.stop();
          clock.release();
        }
      },
    ),
    { numRuns: 40 },
  );
});

it('a timer due a fraction of a millisecond after a chunk in the same millisecond fires after it, at its own time', async () => {
  const clock = acquireClock();
  const driver = acquireDriver(clock.app, { running: true });
  try {
    // Whole milliseconds of the fake clock are where driver.now() crosses an integer.
    const base = Math.ceil(driver.now());
    const log: Array<[string, number]> = [];
    await new Promise<void>((resolve) => {
      driver.at(base + 10.7, () => {
        log.push(['chunk 0', driver.now()]);
        setTimeout(() => {
          log.push(['timer', driver.now()]);
          resolve();
        }, 5);
      });
      driver.at(base + 15.3, () => log.push(['chunk 1', driver.now()]));
    });
    expect(log.map(([w]) => w)).toEqual(['chunk 0', 'chunk 1', 'timer']);
    expect(log[1]![1] - base).toBeCloseTo(15.3, 6);
    expect(log[2]![1] - base).toBeCloseTo(15.7, 6);
  } finally {
    driver.stop();
    clock.release();
  }
});
