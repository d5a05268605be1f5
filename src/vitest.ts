import * as vitest from 'vitest';
import { afterAll, afterEach, beforeAll, beforeEach, expect, vi } from 'vitest';
import { useRunnerClock } from './virtual/fake-clock.js';
import { calledInsideTest, cassetteArgs, cassetteHooks, registerHooks, type CassetteHandle } from './cassette-hooks.js';
import type { CassetteSessionOptions } from './session.js';

export type { CassetteSessionOptions as UseCassetteOptions } from './session.js';
export type { RecordMode } from './record-mode.js';
export type { Fault } from './replay/faults.js';
export type { LatenessSummary } from './replay/lateness.js';
export type { RedactOptions } from './trace/redact.js';
export type { InterceptOptions } from './intercept/index.js';

export { cassettePathFor, type CassetteHandle } from './cassette-hooks.js';
// For a timing assertion's message: says when the machine was too busy for wall-clock timing.
export { busyMachineNote } from './replay/lateness.js';

// clock: 'virtual' puts vitest's own fake timers on, so a test's vi.useFakeTimers() gets the same one clock.
useRunnerClock({
  install: (toFake, now) => vi.useFakeTimers({ toFake: toFake as NonNullable<Parameters<typeof vi.useFakeTimers>[0]>['toFake'], now }),
  uninstall: () => vi.useRealTimers(),
});

/** Whether a test function is running now: vitest 4.1's TestRunner says so; older ones leave currentTestName set only then. */
function insideTest(): boolean {
  const runner = (vitest as { TestRunner?: { getCurrentTest?: () => unknown } }).TestRunner;
  if (typeof runner?.getCurrentTest === 'function') return runner.getCurrentTest() !== undefined;
  return expect.getState().currentTestName !== undefined;
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
  // A path Node cannot use fails here, at the call in the test file, rather than as a hook error.
  const { explicit, options } = cassetteArgs(pathOrOptions, maybeOptions);
  if (insideTest()) {
    throw calledInsideTest(explicit);
  }
  // The file being run, also when this call sits in a setup file (setupFiles run once per test file).
  return registerHooks(cassetteHooks(explicit, options, () => expect.getState().testPath), { beforeAll, afterAll, afterEach, beforeEach });
}
