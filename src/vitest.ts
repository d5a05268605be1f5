import { afterAll, afterEach, beforeAll } from 'vitest';
import type { MissExplanation } from './cassette/match.js';
import type { LatenessSummary } from './replay/lateness.js';
import { openCassette, type CassetteSession, type CassetteSessionOptions } from './session.js';
import { checkCassettePath } from './store/cassette-file.js';

export type { CassetteSessionOptions as UseCassetteOptions } from './session.js';
export type { RecordMode } from './record-mode.js';
export type { Fault } from './replay/faults.js';
export type { LatenessSummary } from './replay/lateness.js';
export type { RedactOptions } from './trace/redact.js';

export interface CassetteHandle {
  /** Base URL of the replay server, e.g. `http://127.0.0.1:41234`. Available inside tests. */
  readonly url: string;
  /** Requests that matched nothing so far. */
  readonly misses: readonly MissExplanation[];
  /**
   * How late the replay server wrote pieces against their recorded times, in ms (`{ count, p50, p99, max }`),
   * so a timing assertion can tell a busy machine from a real change.
   */
  lateness(): LatenessSummary;
}

/**
 * Serve a cassette for the tests of this file, on 127.0.0.1 and a free port. A test that makes a
 * request the cassette cannot answer fails, with the closest recording and what differs.
 *
 * @example
 * const cassette = useCassette('fixtures/chat.yaml');
 * it('streams', async () => {
 *   const openai = new OpenAI({ baseURL: `${cassette.url}/v1`, apiKey: 'test' });
 *   // ...
 * });
 *
 * @example
 * // The same recording, cut after its third chunk: the app's error handling is what gets tested.
 * const dropped = useCassette('fixtures/chat.yaml', { faults: ['drop-after=3'] });
 */
export function useCassette(path: string, options: CassetteSessionOptions = {}): CassetteHandle {
  // A path Node cannot use fails here, at the call in the test file, rather than as a hook error.
  checkCassettePath(path);
  let session: CassetteSession | undefined;
  let seen = 0;
  beforeAll(async () => {
    session = await openCassette(path, options);
    for (const w of session.warnings) console.warn(`cassette ${path}: ${w}`);
  });
  afterAll(async () => {
    await session?.close();
  });
  afterEach(() => {
    const misses = session?.misses ?? [];
    const fresh = misses.slice(seen);
    seen = misses.length;
    if (fresh.length > 0) {
      throw new Error(`cassette ${path}: ${fresh.length} request(s) matched no recording.\n${fresh.map((m) => `- ${m.message}`).join('\n')}`);
    }
  });
  return {
    get url() {
      if (!session) throw new Error('useCassette(): the URL is available inside tests and hooks, not at module load');
      return session.url;
    },
    get misses() {
      return session?.misses ?? [];
    },
    lateness() {
      return session?.lateness() ?? { count: 0, p50: 0, p99: 0, max: 0 };
    },
  };
}
