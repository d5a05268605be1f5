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

/** Bytes of a lateness histogram's memory: count and max (float64), then the buckets (uint32). */
export const LATENESS_BYTES = 16 + 4 * (BUCKETS + 1);

/**
 * A histogram in its own memory, or in `shared` (LATENESS_BYTES of a SharedArrayBuffer): a replay
 * thread adds to it and the test's thread reads its summary at any time, with no round trip. Only
 * one thread adds; a summary read during an add may miss that one entry.
 */
export function createLateness(shared?: SharedArrayBuffer): Lateness {
  const memory = shared ?? new ArrayBuffer(LATENESS_BYTES);
  const totals = new Float64Array(memory, 0, 2);
  const counts = new Uint32Array(memory, 16, BUCKETS + 1);
  const at = (q: number, count: number, max: number): number => {
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
      if (ms > totals[1]!) totals[1] = ms;
      totals[0]!++;
    },
    summary: () => {
      const count = totals[0]!;
      const max = totals[1]!;
      return count === 0 ? { count, p50: 0, p99: 0, max: 0 } : { count, p50: at(0.5, count, max), p99: at(0.99, count, max), max };
    },
  };
}

/** A lateness p99 above this many ms means the machine, not the replay, decided the timing. */
export const BUSY_LATENESS_MS = 5;

const ms = (n: number): string => (n >= 10 ? n.toFixed(0) : n.toFixed(1));

/**
 * One line saying the machine was too busy for wall-clock timing, when the replay's lateness p99 is
 * over `limitMs` (default BUSY_LATENESS_MS); undefined otherwise. `traceforge replay` prints it on
 * stderr; a timing assertion's failure message can carry it, so a failure caused by a loaded machine
 * is not mistaken for one caused by the code under test.
 *
 * @example
 * const note = busyMachineNote(replay.lateness());
 * if (note) console.error(note);
 */
export function busyMachineNote(summary: LatenessSummary, limitMs = BUSY_LATENESS_MS): string | undefined {
  if (summary.count === 0 || !(summary.p99 > limitMs)) return undefined;
  return (
    `the machine was too busy for wall-clock timing: replayed chunks were written up to ${ms(summary.max)} ms late ` +
    `(p99 ${ms(summary.p99)} ms over ${summary.count} chunks, above ${ms(limitMs)} ms); ` +
    `for timing that no machine load can bend, replay in the test process on the virtual clock: useCassette(path, { clock: 'virtual' })`
  );
}
