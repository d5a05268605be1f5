import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createManualClock, ReplayController, SPEEDS, type ReplayState } from '../../src/tui/replay-clock.js';

function setup(offsets: number[]) {
  const clock = createManualClock();
  const ticks: ReplayState[] = [];
  const r = new ReplayController(offsets, clock, (s) => ticks.push({ ...s }));
  return { clock, r, ticks };
}

describe('ReplayController', () => {
  it('shows each chunk when the recorded time reaches its offset', () => {
    const { clock, r } = setup([100, 110, 300]);
    r.start();
    expect(r.snapshot.shown).toBe(0);
    clock.advance(99.9);
    expect(r.snapshot.shown).toBe(0);
    clock.advance(0.1);
    expect(r.snapshot.shown).toBe(1);
    clock.advance(10);
    expect(r.snapshot.shown).toBe(2);
    clock.advance(190);
    expect(r.snapshot).toMatchObject({ shown: 3, done: true, playing: false, at: 300 });
  });

  it('keeps the position across speed changes and pauses (absolute timeline, no drift)', () => {
    const { clock, r } = setup([100, 200, 300, 400]);
    r.start();
    clock.advance(150); // recorded 150
    r.changeSpeed(1); // 2x: 50 recorded ms left to chunk 2 take 25 real ms
    expect(r.snapshot.speed).toBe(2);
    clock.advance(24.9);
    expect(r.snapshot.shown).toBe(1);
    clock.advance(0.1);
    expect(r.snapshot.shown).toBe(2);
    r.togglePause();
    clock.advance(10_000);
    expect(r.snapshot).toMatchObject({ shown: 2, paused: true });
    r.togglePause();
    clock.advance(50); // recorded 300
    expect(r.snapshot.shown).toBe(3);
  });

  it('clamps the speed to the ladder', () => {
    const { r } = setup([1]);
    for (let i = 0; i < 20; i++) r.changeSpeed(1);
    expect(r.snapshot.speed).toBe(SPEEDS.at(-1));
    for (let i = 0; i < 20; i++) r.changeSpeed(-1);
    expect(r.snapshot.speed).toBe(SPEEDS[0]);
  });

  it('always finishes, in order, whatever the offsets and the speed changes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 500, noNaN: true }), { minLength: 1, maxLength: 50 }),
        fc.array(fc.tuple(fc.constantFrom<1 | -1 | 0>(1, -1, 0), fc.double({ min: 0, max: 200, noNaN: true })), { maxLength: 10 }),
        (gaps, actions) => {
          let at = 0;
          const offsets = gaps.map((g) => (at += g));
          const { clock, r, ticks } = setup(offsets);
          r.start();
          for (const [act, ms] of actions) {
            if (act === 0) r.togglePause();
            else r.changeSpeed(act);
            clock.advance(ms);
          }
          if (r.snapshot.paused) r.togglePause();
          clock.advance(offsets.at(-1)! * 4 + 1000);
          expect(r.snapshot.done).toBe(true);
          expect(r.snapshot.shown).toBe(offsets.length);
          const shown = ticks.map((t) => t.shown);
          expect(shown).toEqual([...shown].sort((a, b) => a - b));
        },
      ),
    );
  });
});
