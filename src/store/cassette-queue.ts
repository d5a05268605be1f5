import type { Trace } from '../trace/types.js';
import { appendToCassette, cassetteRefusal } from './cassette-file.js';

/**
 * Appends to one cassette in the order calls finished, batching whatever finished while the previous
 * append was being written into one append: 200 calls ending together cost a few appends, not 200
 * lock-write-fsync rounds. Concurrent appends of single calls would race for the lock and could swap
 * two recordings of the same request, which replay serves in cassette order.
 */
export interface CassetteQueue {
  /** Resolves once the trace is in the cassette on disk; rejects with the append's error. */
  add(trace: Trace): Promise<void>;
}

export function createCassetteQueue(path: string, append: (path: string, traces: Trace[]) => Promise<void> = appendToCassette): CassetteQueue {
  let waiting: Array<{ trace: Trace; resolve: () => void; reject: (e: unknown) => void }> = [];
  let running = false;
  const run = async (): Promise<void> => {
    running = true;
    while (waiting.length > 0) {
      const batch = waiting;
      waiting = [];
      try {
        await append(path, batch.map((w) => w.trace));
        for (const w of batch) w.resolve();
      } catch (e) {
        for (const w of batch) w.reject(e);
      }
    }
    running = false;
  };
  return {
    add(trace) {
      // Refused on its own, before it joins a batch: a batch is written or refused whole.
      const refused = cassetteRefusal(path, trace);
      if (refused) return Promise.reject(refused);
      return new Promise<void>((resolve, reject) => {
        waiting.push({ trace, resolve, reject });
        if (!running) void run();
      });
    },
  };
}
