import { basename, dirname, join } from 'node:path';
import * as vitest from 'vitest';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { MissExplanation } from './cassette/match.js';
import { TraceForgeError } from './errors.js';
import { resolveRecordMode } from './record-mode.js';
import type { LatenessSummary } from './replay/lateness.js';
import { missingCassetteMessage, openCassette, type CassetteSession, type CassetteSessionOptions } from './session.js';
import { checkCassettePath } from './store/cassette-file.js';
import { DEFAULT_TRACES_DIR } from './store/trace-store.js';

export type { CassetteSessionOptions as UseCassetteOptions } from './session.js';
export type { RecordMode } from './record-mode.js';
export type { Fault } from './replay/faults.js';
export type { LatenessSummary } from './replay/lateness.js';
export type { RedactOptions } from './trace/redact.js';
export type { InterceptOptions } from './intercept/index.js';

export interface CassetteHandle {
  /** Base URL of the replay server, e.g. `http://127.0.0.1:41234`. Available inside tests. */
  readonly url: string;
  /** The cassette file this handle serves (for `useCassette()` with no path, the one named after the test file). Available inside tests. */
  readonly path: string;
  /** Requests that matched nothing so far. */
  readonly misses: readonly MissExplanation[];
  /**
   * How late the replay server wrote pieces against their recorded times, in ms (`{ count, p50, p99, max }`),
   * so a timing assertion can tell a busy machine from a real change.
   */
  lateness(): LatenessSummary;
}

/** Whether a test function is running now: vitest 4.1's TestRunner says so; older ones leave currentTestName set only then. */
function insideTest(): boolean {
  const runner = (vitest as { TestRunner?: { getCurrentTest?: () => unknown } }).TestRunner;
  if (typeof runner?.getCurrentTest === 'function') return runner.getCurrentTest() !== undefined;
  return expect.getState().currentTestName !== undefined;
}

/** Where `useCassette()` with no path keeps a test file's calls: `__cassettes__/<file name without .ts/.js>.yaml` next to it. */
export function cassettePathFor(testFile: string): string {
  return join(dirname(testFile), '__cassettes__', `${basename(testFile).replace(/\.[cm]?[jt]sx?$/, '')}.yaml`);
}

/**
 * Serve a cassette for the tests of this file, on 127.0.0.1 and a free port. A test that makes a
 * request the cassette cannot answer fails, with the closest recording and what differs.
 *
 * While it is open, the process's own calls to the providers' hosts (api.openai.com, api.anthropic.com,
 * generativelanguage.googleapis.com, Ollama on localhost:11434, Bedrock, Cohere, and `intercept.hosts`)
 * are served from the cassette, through the global fetch and node:http/https: an app module that built
 * `new OpenAI()` at import time needs no change. `intercept: false` turns that off (then use `url`).
 *
 * With no path, the cassette is named after the test file: `__cassettes__/<file>.yaml` next to it (a
 * file that makes no calls needs none). Calls recorded also leave trace files in `.ai-tests/traces`
 * (`traces: false` for none, or another directory).
 *
 * @example
 * useCassette(); // test/app.test.ts -> test/__cassettes__/app.test.yaml
 * it('answers', async () => expect(await summarize('...')).toMatchInlineSnapshot());
 *
 * @example
 * const cassette = useCassette('fixtures/chat.yaml', { intercept: false });
 * it('streams', async () => {
 *   const openai = new OpenAI({ baseURL: `${cassette.url}/v1`, apiKey: 'test' });
 * });
 *
 * @example
 * // The same recording, cut after its third chunk: the app's error handling is what gets tested.
 * const dropped = useCassette('fixtures/chat.yaml', { faults: ['drop-after=3'] });
 */
export function useCassette(path?: string, options?: CassetteSessionOptions): CassetteHandle;
export function useCassette(options: CassetteSessionOptions): CassetteHandle;
export function useCassette(pathOrOptions?: string | CassetteSessionOptions, maybeOptions: CassetteSessionOptions = {}): CassetteHandle {
  const explicit = typeof pathOrOptions === 'string' ? pathOrOptions : undefined;
  const given = typeof pathOrOptions === 'object' && pathOrOptions !== null ? pathOrOptions : maybeOptions;
  // A path Node cannot use fails here, at the call in the test file, rather than as a hook error.
  if (explicit !== undefined) checkCassettePath(explicit);
  if (insideTest()) {
    throw new TraceForgeError(
      'E_USAGE',
      `useCassette(${explicit === undefined ? '' : JSON.stringify(explicit)}) was called inside a test: it belongs at the top level of the test file or inside describe(), ` +
        'where it registers the hooks that open the cassette before the tests run and close it after. Move the call out of it()/test().',
    );
  }
  const options: CassetteSessionOptions = {
    ...given,
    intercept: given.intercept ?? true,
    traces: given.traces ?? DEFAULT_TRACES_DIR,
    // A cassette named after the test file may not exist because the file makes no calls: only a call fails then.
    missing: given.missing ?? (explicit === undefined ? 'empty' : 'error'),
  };
  let session: CassetteSession | undefined;
  let path = explicit ?? '';
  let seen = 0;
  let seenBlocked = 0;
  beforeAll(async () => {
    if (explicit === undefined) {
      // The file being run, also when this call sits in a setup file (setupFiles run once per test file).
      const file = expect.getState().testPath;
      if (!file) throw new Error('useCassette(): no path was given and the test file is unknown; pass a cassette path');
      path = cassettePathFor(file);
    }
    session = await openCassette(path, options);
    for (const w of session.warnings) console.warn(`cassette ${path}: ${w}`);
    // A new cassette may be a typo in a path: say so where the user looks.
    if (!session.existed && session.recordingTo) console.warn(`cassette ${path} does not exist yet: record mode "${session.mode}" records the calls made into it, sent to ${session.recordingTo}`);
  });
  afterAll(async () => {
    await session?.close();
  });
  afterEach(() => {
    const misses = session?.misses ?? [];
    const fresh = misses.slice(seen);
    seen = misses.length;
    const blocked = session?.blocked ?? [];
    const freshBlocked = blocked.slice(seenBlocked);
    seenBlocked = blocked.length;
    const parts: string[] = [];
    if (fresh.length > 0) {
      const head = session?.missingFile
        ? `${missingCassetteMessage(path, resolveRecordMode(options.mode, options.env ?? process.env), options.env ?? process.env)}.\n${fresh.length} request(s) had nothing to replay`
        : `cassette ${path}: ${fresh.length} request(s) matched no recording`;
      parts.push(`${head}.\n${fresh.map((m) => `- ${m.message}`).join('\n')}`);
    }
    if (freshBlocked.length > 0) parts.push(`${freshBlocked.length} call(s) blocked:\n${freshBlocked.map((m) => `- ${m}`).join('\n')}`);
    if (parts.length > 0) throw new Error(parts.join('\n'));
  });
  return {
    get url() {
      if (!session) throw new Error('useCassette(): the URL is available inside tests and hooks (after the cassette opened), not at module load');
      return session.url;
    },
    get path() {
      return path;
    },
    get misses() {
      return session?.misses ?? [];
    },
    lateness() {
      return session?.lateness() ?? { count: 0, p50: 0, p99: 0, max: 0 };
    },
  };
}
