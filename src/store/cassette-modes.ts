import { createKeyMatcher, interactionKey, type InteractionKey } from '../cassette/match.js';
import type { Trace } from '../trace/types.js';
import { appendToCassette, replaceInCassette } from './cassette-file.js';
import { createCassetteQueue } from './cassette-queue.js';

/**
 * How `traceforge record --cassette` writes a call the cassette may already hold (VCR's modes):
 * `new_episodes` appends only calls that match no interaction it had; `all` puts each call in place of
 * the interaction it matches and appends the rest. Each recording of a request is matched once, in order,
 * as replay serves them: a request made twice matches its first recording, then its second.
 */
export type CassetteWriteMode = 'new_episodes' | 'all';

export interface CassetteTally {
  /** Calls appended: the cassette had no recording of them. */
  recorded: number;
  /** Calls written in place of a recording of the same request (`all`). */
  replaced: number;
  /** Calls the cassette already held, left as they were (`new_episodes`). */
  kept: number;
}

export interface ModalCassette {
  readonly tally: CassetteTally;
  /** Resolves once the call is written (or left out, as one the cassette holds); rejects with the write's error. */
  add(trace: Trace): Promise<void>;
}

/** `existing`: the interactions the cassette held when recording began, in file order (see indexCassette). */
export function createModalCassette(path: string, mode: CassetteWriteMode, existing: readonly InteractionKey[]): ModalCassette {
  const matcher = createKeyMatcher(existing);
  const tally: CassetteTally = { recorded: 0, replaced: 0, kept: 0 };
  // Replacements keep their index: appends go after every interaction the cassette had, so none moves.
  const replacing = new Map<Trace, number>();
  const queue = createCassetteQueue(path, (file, traces) => {
    const appended = traces.filter((t) => !replacing.has(t));
    const at = new Map(traces.filter((t) => replacing.has(t)).map((t) => [replacing.get(t)!, t] as const));
    for (const t of traces) replacing.delete(t);
    return at.size === 0 ? appendToCassette(file, appended) : replaceInCassette(file, at, appended);
  });
  return {
    tally,
    add(trace) {
      const index = matcher.claim(interactionKey(trace));
      if (index === undefined) tally.recorded++;
      else if (mode === 'new_episodes') {
        tally.kept++;
        return Promise.resolve();
      } else {
        tally.replaced++;
        replacing.set(trace, index);
      }
      return queue.add(trace);
    },
  };
}
