/**
 * The virtual clock's loop, as a property: whatever the recorded gaps and whatever timers the app sets
 * (at the start, or when a chunk arrives, for any delay), every chunk reaches the app at its recorded
 * time and every timer fires at its own due time, to the nanosecond, in time order; except that a timer
 * due less than a millisecond after a chunk in the same millisecond of the fake clock fires with it.
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
          const chunkTimes = log.filter((e) => e.what.startsWith('chunk')).map((e) => e.want);
          for (const e of log) {
            // fake-timers keeps timers in whole milliseconds of its clock: the one limit left. A timer due
            // within a millisecond after a chunk that shares its millisecond fires with that chunk, never later.
            const shared = e.what.startsWith('timer') && chunkTimes.some((c) => c < e.want && c > e.want - 1);
            if (shared) expect(e.want - e.at, e.what).toBeLessThan(1);
            else expect(Math.abs(e.at - e.want), e.what).toBeLessThan(1e-6);
          }
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
