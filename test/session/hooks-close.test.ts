/**
 * A runner whose before-all hook timed out runs the after-all hook while the cassette is still opening:
 * close() then waited for nothing, and the session that opened afterwards stayed open, answering the calls
 * of every file run next in the process (vitest --no-isolate). close() now waits for the open and closes it.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cassetteHooks } from '../../src/cassette-hooks.js';
import { tempDir } from '../hostile/helpers.js';

let dir: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  dir = await tempDir('tf-hooks-close-');
});
afterAll(() => dir.cleanup());

it('close() during a slow open closes the session that open produces', async () => {
  const hooks = cassetteHooks(join(dir.dir, 'none.yaml'), { mode: 'none', missing: 'empty', intercept: false, traces: false, env: {} }, () => undefined);
  const opening = hooks.open();
  // The runner gave up on the open and moved on to the after-all hook.
  const closing = hooks.close();
  await opening;
  await closing;
  const url = hooks.handle.url;
  await expect(fetch(`${url}/v1/models`)).rejects.toThrow();
});
