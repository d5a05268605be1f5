/**
 * How late the replay server wrote its pieces against their targets: a fixed histogram (10 µs
 * buckets up to 100 ms), so recording a write costs one increment however many streams run. A
 * loaded CI machine shows up here first, which tells a timing failure caused by the machine from
 * one caused by the code under test.
 */
const BUCKET_MS = 0.01;
const BUCKETS = 10_000;

export interface LatenessSummary {
  /** Writes recorded (a write may carry several overdue pieces; each piece counts). */
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export interface Lateness {
  add(lateMs: number): void;
  summary(): LatenessSummary;
}

export function createLateness(): Lateness {
  const counts = new Uint32Array(BUCKETS + 1);
  let count = 0;
  let max = 0;
  const at = (q: number): number => {
    const rank = Math.ceil(q * count);
    let seen = 0;
    for (let i = 0; i <= BUCKETS; i++) {
      seen += counts[i]!;
      if (seen >= rank) return i === BUCKETS ? max : Math.min(max, (i + 1) * BUCKET_MS);
    }
    return max;
  };
  return {
    add(lateMs) {
      const ms = Math.max(0, lateMs);
      counts[Math.min(BUCKETS, Math.floor(ms / BUCKET_MS))]!++;
      count++;
      if (ms > max) max = ms;
    },
    summary: () => (count === 0 ? { count, p50: 0, p99: 0, max: 0 } : { count, p50: at(0.5), p99: at(0.99), max }),
  };
}
