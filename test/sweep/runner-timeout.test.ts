/**
 * The wall-clock stall a sweep picks stays under the test runner's timeout, which it reads from the command,
 * the package.json script `npm test` runs, or the runner's config (vitest's default 5 s equalled the old 5 s stall).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runnerTimeout, wallStall } from '../../src/sweep/runner-timeout.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tf-runner-timeout-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('runnerTimeout', () => {
  it('reads the runner and its timeout from the command line, an npm script, or the config, else the default', async () => {
    expect(runnerTimeout('npx', ['vitest', 'run'], dir)).toEqual({ runner: 'vitest', ms: 5000, from: 'its default' });
    expect(runnerTimeout(process.execPath, ['/app/node_modules/vitest/vitest.mjs', 'run', '--testTimeout=8000'], dir)).toEqual({ runner: 'vitest', ms: 8000, from: '--testTimeout' });
    expect(runnerTimeout('npx', ['jest', '--testTimeout', '9000'], dir)).toEqual({ runner: 'jest', ms: 9000, from: '--testTimeout' });
    expect(runnerTimeout(process.execPath, ['--test', 'test/'], dir)).toEqual({ runner: 'node:test', ms: undefined, from: 'its default' });
    expect(runnerTimeout(process.execPath, ['app.js'], dir)).toBeUndefined();
    await writeFile(join(dir, 'package.json'), JSON.stringify({ scripts: { test: 'vitest run', 'test:unit': 'jest' }, jest: { testTimeout: 12000 } }));
    await writeFile(join(dir, 'vitest.config.ts'), 'export default { test: { testTimeout: 20_000 } };\n');
    expect(runnerTimeout('npm', ['test'], dir)).toEqual({ runner: 'vitest', ms: 20000, from: 'vitest.config.ts' });
    expect(runnerTimeout('npm', ['run', 'test:unit'], dir)).toEqual({ runner: 'jest', ms: 12000, from: 'package.json' });
  });
});

describe('wallStall', () => {
  const vitest = { runner: 'vitest' as const, ms: 5000, from: 'its default' };
  it("picks a stall shorter than the runner's timeout and names it; warns when told a stall as long", () => {
    expect(wallStall(undefined, vitest)).toEqual({ stallMs: 2500, note: expect.stringContaining("shorter than vitest's test timeout (5000 ms, its default)") });
    expect(wallStall(undefined, { ...vitest, ms: 60_000 }).stallMs).toBe(5000);
    expect(wallStall(undefined, undefined)).toEqual({ stallMs: 5000 });
    expect(wallStall(300, vitest)).toEqual({ stallMs: 300 });
    expect(wallStall(5000, vitest)).toEqual({ stallMs: 5000, note: expect.stringMatching(/^--stall-ms 5000 is not shorter than vitest's test timeout \(5000 ms, its default\)/) });
  });
});
