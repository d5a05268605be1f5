import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/generated/**', 'node_modules/**'],
    // Real servers and spawned CLIs: give slow CI machines room without hiding hangs.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // The cassette parse cache (docs/limits.md) of everything the tests open goes to a temporary directory,
    // not the user's ~/.cache; the spawned CLIs and runners inherit it.
    env: { TRACEFORGE_CACHE_DIR: process.env.TRACEFORGE_CACHE_DIR ?? join(tmpdir(), 'traceforge-test-cache') },
    // vitest's default on a 2-core machine is one worker; most files wait on servers and spawned CLIs, so
    // three keep both cores busy: the suite took 5.9 min instead of 8-9 (1,199 tests, idle 2-core machine).
    maxWorkers: 3,
    // CLI tests run the built bin: build it first when src/ changed since (see the file).
    globalSetup: ['test/global-setup.ts'],
  },
});
