/**
 * Deterministic inter-chunk gaps that look like a real model: bursts of events under 2 ms (several
 * tokens in one network read), ordinary 5-30 ms token gaps, and now and then a 60-300 ms stall.
 * Seeded so a failing test fails the same way every run.
 */

import { seededRandom } from '../../src/demo/simulated-upstream.js';

/** mulberry32, shared with the demo upstream. Returns floats in [0, 1). */
export const createRng = seededRandom;

export interface JitterOptions {
  /** Share of gaps that are bursts (< 2 ms). Default 0.3. */
  burst?: number;
  /** Share of gaps that are stalls (60-300 ms). Default 0.04. */
  stall?: number;
}

/** Gap generator for `gaps` options: call with the frame index, get milliseconds. */
export function createJitter(seed: number, opts: JitterOptions = {}): (index: number) => number {
  const rng = createRng(seed);
  const burst = opts.burst ?? 0.3;
  const stall = opts.stall ?? 0.04;
  return () => {
    const pick = rng();
    const x = rng();
    if (pick < burst) return Math.round(x * 1.9 * 1000) / 1000;
    if (pick < burst + stall) return Math.round((60 + x * 240) * 1000) / 1000;
    return Math.round((5 + x * 25) * 1000) / 1000;
  };
}

/** `n` jittered gaps, for scripts built by hand. */
export function jitterGaps(seed: number, n: number, opts?: JitterOptions): number[] {
  const next = createJitter(seed, opts);
  return Array.from({ length: n }, (_, i) => next(i));
}
