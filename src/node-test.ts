/**
 * `useCassette` for Node's built-in test runner (`node --test`): the same cassette, interception,
 * naming and messages as `traceforge/vitest`, registered with node:test's hooks.
 */
import { after, afterEach, before, beforeEach } from 'node:test';
import { cassetteArgs, cassetteHooks, registerHooks, type CassetteHandle } from './cassette-hooks.js';
import type { CassetteSessionOptions } from './session.js';

export type { CassetteSessionOptions as UseCassetteOptions } from './session.js';
export type { InterceptOptions } from './intercept/index.js';
export { cassettePathFor, type CassetteHandle } from './cassette-hooks.js';
// For a timing assertion's message: says when the machine was too busy for wall-clock timing.
export { busyMachineNote } from './replay/lateness.js';

/**
 * Serve a cassette for the tests of this file (call it at the top level of the file). With no path,
 * the cassette is `__cassettes__/<file>.yaml` next to the test file `node --test` runs.
 * @example
 * import { test } from 'node:test';
 * import { useCassette } from 'traceforge/node-test';
 * useCassette('fixtures/app.yaml');
 * test('answers', async () => { ... });
 */
export function useCassette(path?: string, options?: CassetteSessionOptions): CassetteHandle;
export function useCassette(options: CassetteSessionOptions): CassetteHandle;
export function useCassette(pathOrOptions?: string | CassetteSessionOptions, maybeOptions: CassetteSessionOptions = {}): CassetteHandle {
  const { explicit, options } = cassetteArgs(pathOrOptions, maybeOptions);
  // `node --test` runs each file in a process of its own, with the file as its script.
  return registerHooks(cassetteHooks(explicit, options, () => process.argv[1]), { beforeAll: (fn, timeout) => before(fn, { timeout }), afterAll: (fn, timeout) => after(fn, { timeout }), afterEach: (fn, timeout) => afterEach(fn, { timeout }), beforeEach: (fn, timeout) => beforeEach(fn, { timeout }) });
}
