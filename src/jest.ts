/**
 * `useCassette` for jest: the same cassette, interception, naming and messages as
 * `traceforge/vitest`, registered with jest's hooks. TraceForge is ESM-only, so jest runs it in ESM
 * mode (`NODE_OPTIONS=--experimental-vm-modules npx jest`, `.mjs` test files or `"type": "module"`).
 */
import { calledInsideTest, cassetteArgs, cassetteHooks, registerHooks, type CassetteHandle } from './cassette-hooks.js';
import { TraceForgeError } from './errors.js';
import type { CassetteSessionOptions } from './session.js';
import { useRunnerClock } from './virtual/fake-clock.js';

export type { CassetteSessionOptions as UseCassetteOptions } from './session.js';
export type { InterceptOptions } from './intercept/index.js';
export { cassettePathFor, type CassetteHandle } from './cassette-hooks.js';
// For a timing assertion's message: says when the machine was too busy for wall-clock timing.
export { busyMachineNote } from './replay/lateness.js';

// clock: 'virtual' puts jest's own modern fake timers on (they are @sinonjs/fake-timers too), so a test's
// jest.useFakeTimers() gets the same one clock instead of "Can't install fake timers twice". Jest gives
// its `jest` object to ESM modules through @jest/globals; outside jest there is none, and TraceForge
// installs the clock itself.
interface JestTimers {
  useFakeTimers(config?: { now?: number; doNotFake?: string[] }): unknown;
  useRealTimers(): unknown;
}
const globalsModule = '@jest/globals';
const jestTimers = await import(globalsModule).then(
  (m: { jest?: JestTimers }) => m.jest,
  () => undefined,
);
if (jestTimers && typeof jestTimers.useFakeTimers === 'function') {
  useRunnerClock({
    install: (_toFake, now) => jestTimers.useFakeTimers({ now, doNotFake: ['nextTick', 'queueMicrotask'] }),
    uninstall: () => jestTimers.useRealTimers(),
  });
}

type Hook = (fn: () => unknown, timeout?: number) => void;
/** The globals jest injects into a test file's environment (only what is used here). */
interface JestGlobals {
  beforeAll: Hook;
  afterAll: Hook;
  afterEach: Hook;
  beforeEach: Hook;
  expect: { getState(): { testPath?: string; currentTestName?: string } };
}

function jestGlobals(): JestGlobals {
  const g = globalThis as Partial<JestGlobals>;
  if (typeof g.beforeAll !== 'function' || typeof g.afterAll !== 'function' || typeof g.afterEach !== 'function' || typeof g.beforeEach !== 'function' || typeof g.expect?.getState !== 'function') {
    throw new TraceForgeError('E_USAGE', 'traceforge/jest: jest\'s globals (beforeAll, afterAll, afterEach, expect) are not defined here; call useCassette in a test file run by jest (with injectGlobals left on)');
  }
  return g as JestGlobals;
}

/**
 * Serve a cassette for the tests of this file (call it at the top level of the file or in describe()).
 * With no path, the cassette is `__cassettes__/<file>.yaml` next to the test file jest runs.
 * @example
 * import { useCassette } from 'traceforge/jest';
 * useCassette('fixtures/app.yaml');
 * test('answers', async () => { ... });
 */
export function useCassette(path?: string, options?: CassetteSessionOptions): CassetteHandle;
export function useCassette(options: CassetteSessionOptions): CassetteHandle;
export function useCassette(pathOrOptions?: string | CassetteSessionOptions, maybeOptions: CassetteSessionOptions = {}): CassetteHandle {
  const { explicit, options } = cassetteArgs(pathOrOptions, maybeOptions);
  const { beforeAll, afterAll, afterEach, beforeEach, expect } = jestGlobals();
  // Hooks registered inside a running test are an error in jest-circus; say where the call belongs.
  if (expect.getState().currentTestName !== undefined) {
    throw calledInsideTest(explicit);
  }
  return registerHooks(cassetteHooks(explicit, options, () => expect.getState().testPath), { beforeAll, afterAll, afterEach, beforeEach });
}
